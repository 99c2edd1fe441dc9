using System.Text;

namespace DeepGpu.Reporting;

/// <summary>Writes files to a temporary name beside the target and renames them, so nothing is left half written.</summary>
internal static class AtomicFile
{
    public static void WriteText(string path, string text) =>
        Write(path, stream =>
        {
            var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
            stream.Write(bytes);
        });

    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path.Length == 0) throw new DeepGpuException("No output file was given: the path is empty.");
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The temporary file is hidden and harmless; the write error is what matters.
            }
            var reason = ex switch
            {
                DirectoryNotFoundException => "its folder does not exist",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message.TrimEnd('.'),
            };
            throw new DeepGpuException($"Cannot write {path}: {reason}.", ex);
        }
    }
}
