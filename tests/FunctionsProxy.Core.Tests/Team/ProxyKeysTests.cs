using FunctionsProxy.Team;
using Xunit;

namespace FunctionsProxy.Tests.Team;

public sealed class ProxyKeysTests
{
    [Fact]
    public void A_new_key_has_the_documented_shape_and_verifies_against_its_salted_hash()
    {
        var (key, id, salt, hash) = ProxyKeys.Create();
        Assert.StartsWith("fpk_", key);
        Assert.Equal(ProxyKeys.KeyLength, key.Length);
        Assert.Equal(59, key.Length);
        Assert.All(key[4..], c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        Assert.True(ProxyKeys.TryParse(key, out var parsedId, out var secret));
        Assert.Equal(id, parsedId);
        Assert.Equal(key[16..], secret);
        Assert.True(ProxyKeys.Verify(secret, salt, hash));
        Assert.DoesNotContain(secret, hash);
        Assert.Equal(32, Convert.FromBase64String(hash).Length);
    }

    [Fact]
    public void Verification_refuses_a_changed_secret_or_another_salt()
    {
        var (key, _, salt, hash) = ProxyKeys.Create();
        ProxyKeys.TryParse(key, out _, out var secret);
        var changed = (secret[0] == 'a' ? 'b' : 'a') + secret[1..];
        Assert.False(ProxyKeys.Verify(changed, salt, hash));
        Assert.False(ProxyKeys.Verify(secret, Convert.ToBase64String(new byte[16]), hash));
        Assert.False(ProxyKeys.Verify(secret, salt, "not-base64!"));
    }

    [Fact]
    public void The_same_secret_with_two_salts_hashes_differently()
        => Assert.NotEqual(ProxyKeys.Hash("c2FsdDE=", "secret"), ProxyKeys.Hash("c2FsdDI=", "secret"));

    [Fact]
    public void Two_keys_never_share_id_or_secret()
    {
        var a = ProxyKeys.Create();
        var b = ProxyKeys.Create();
        Assert.NotEqual(a.Key, b.Key);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sk-something")]
    [InlineData("fpk_short")]
    [InlineData("fpk_abcdefghijkl_bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")] // right length, '_' inside
    public void Anything_not_shaped_like_a_proxy_key_is_refused_before_any_lookup(string? presented)
        => Assert.False(ProxyKeys.TryParse(presented, out _, out _));

    [Fact]
    public void Admin_key_comparison_is_exact()
    {
        Assert.True(ProxyKeys.SecretEquals("admin-secret", "admin-secret"));
        Assert.False(ProxyKeys.SecretEquals("admin-secreT", "admin-secret"));
        Assert.False(ProxyKeys.SecretEquals("admin-secret-longer", "admin-secret"));
        Assert.False(ProxyKeys.SecretEquals("", "admin-secret"));
    }

    [Theory]
    [InlineData("alice", true)]
    [InlineData("bob.smith-2_x", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("a#b", false)]
    public void Key_names_are_restricted_to_table_safe_characters(string name, bool valid)
        => Assert.Equal(valid, ProxyKeys.IsValidName(name));
}
