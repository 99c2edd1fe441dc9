namespace DeepGpu;

/// <summary>
/// An error the user can fix (a bad argument, a missing or corrupt file, a shape that does not fit, a
/// device that is not there). Its message is one sentence naming the thing at fault; front ends print
/// it without a stack trace.
/// </summary>
public class DeepGpuException : Exception
{
    public DeepGpuException(string message) : base(message) { }
    public DeepGpuException(string message, Exception inner) : base(message, inner) { }
}
