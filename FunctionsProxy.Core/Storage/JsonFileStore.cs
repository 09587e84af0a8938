using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FunctionsProxy.Storage;

/// <summary>
/// A JSON document on disk shared by several processes (the CLI and a running host): updates hold an exclusive
/// lock file, and writes go to a temp file renamed over the original so a reader never sees half a file.
/// On Unix the files are created with mode 600 (they hold key hashes and usage).
/// </summary>
internal sealed class JsonFileStore<T>(string path, JsonTypeInfo<T> typeInfo) where T : class, new()
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public async Task<T> ReadAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                await using var streamLifetime = stream.ConfigureAwait(false);
                return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken).ConfigureAwait(false) ?? new T();
            }
            catch (FileNotFoundException) { return new T(); }
            catch (DirectoryNotFoundException) { return new T(); }
            catch (IOException) when (attempt < 20) { await Task.Delay(10, cancellationToken).ConfigureAwait(false); }
        }
    }

    /// <summary>Reads, lets <paramref name="update"/> change the document, and writes it back under the lock.</summary>
    public async Task<TResult> UpdateAsync<TResult>(Func<T, (bool Changed, TResult Result)> update, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var lockFile = await AcquireLockAsync(cancellationToken).ConfigureAwait(false);
            await using var lockFileLifetime = lockFile.ConfigureAwait(false);
            var document = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var (changed, result) = update(document);
            if (changed) await WriteAsync(document, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteAsync(T document, CancellationToken cancellationToken)
    {
        var temp = Path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var stream = new FileStream(temp, Options(FileMode.CreateNew, FileAccess.Write));
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, document, typeInfo, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private async Task<FileStream> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var lockPath = Path + ".lock";
        var options = Options(FileMode.OpenOrCreate, FileAccess.ReadWrite);
        options.Share = FileShare.None;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (attempt < 1000)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static FileStreamOptions Options(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }
}
