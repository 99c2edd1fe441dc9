namespace DeepGpu.Backends;

/// <summary>Whether a backend runs training steps as recorded graphs (CUDA graphs), and if not, why not.</summary>
/// <param name="Available">True when a step can be recorded once and replayed.</param>
/// <param name="Reason">What is used, or why graphs are not, in words.</param>
public readonly record struct StepGraphSupport(bool Available, string Reason);

/// <summary>
/// A training step's launches recorded once (a CUDA graph): <see cref="Replay"/> queues them all again with the
/// arguments they were recorded with, so everything that changes between steps must be in device memory
/// (<see cref="StepRecord"/>).
/// </summary>
public abstract class RecordedStep : IDisposable
{
    /// <summary>Queues the recorded launches on the backend's stream.</summary>
    public abstract void Replay();

    public abstract void Dispose();
}
