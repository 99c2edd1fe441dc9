namespace DeepGpu.Backends;

/// <summary>
/// A reading of <see cref="Backend.Counters"/>; the difference of two readings is what happened between them.
/// </summary>
/// <param name="Launches">Kernel launches queued (0 on a backend that does not count them).</param>
/// <param name="Synchronizations">Times the host waited for the device: <see cref="Backend.Synchronize"/>, uploads and downloads.</param>
/// <param name="Allocations">Buffers allocated.</param>
public readonly record struct BackendCounters(long Launches, long Synchronizations, long Allocations)
{
    public static BackendCounters operator -(BackendCounters after, BackendCounters before) =>
        new(after.Launches - before.Launches, after.Synchronizations - before.Synchronizations, after.Allocations - before.Allocations);
}
