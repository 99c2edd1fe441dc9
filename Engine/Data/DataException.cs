namespace DeepGpu.Data;

/// <summary>
/// A data set that cannot be used: a missing, incomplete or corrupt file, a failed download, or a
/// request the data cannot satisfy. The message is one sentence naming the file or place at fault.
/// </summary>
public class DataException : DeepGpuException
{
    public DataException(string message) : base(message) { }
    public DataException(string message, Exception inner) : base(message, inner) { }
}
