using System.Text;

namespace DeepGpu.IO;

/// <summary>
/// Every file DeepGpu writes goes through here: to a temporary name beside the target, flushed, then renamed,
/// so nothing already on disk is lost or left half written; a failure is one sentence naming the file.
/// </summary>
internal static class AtomicFile
{
    public static void WriteText(string path, string text, bool createDirectory = false) =>
        Write(path, stream =>
        {
            var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
            stream.Write(bytes);
        }, createDirectory);

    /// <param name="createDirectory">Create a missing folder first (model files, checkpoints) rather than fail.</param>
    public static void Write(string path, Action<Stream> write, bool createDirectory = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path.Length == 0) throw new DeepGpuException("No output file was given: the path is empty.");
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (createDirectory) Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
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
