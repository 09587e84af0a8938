namespace FunctionsProxy.ModelFamilies;

/// <summary>A growable char buffer reused for the life of one response (held-back marker bytes, tool-call bodies).</summary>
internal sealed class CharBuffer
{
    private char[] _chars = [];

    public int Length { get; private set; }
    public ReadOnlySpan<char> Span => _chars.AsSpan(0, Length);

    public void Append(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        if (Length + text.Length > _chars.Length) Array.Resize(ref _chars, Math.Max(Math.Max(64, _chars.Length * 2), Length + text.Length));
        text.CopyTo(_chars.AsSpan(Length));
        Length += text.Length;
    }

    public void Clear() => Length = 0;
}
