using DeepGpu.Kernels;

namespace DeepGpu.Backends;

/// <summary>
/// The values that change from one training step to the next (the step's number, where its batch starts in the
/// gather order, the optimizer's update count), in a small device buffer that the step's kernels read. The gather
/// and the update keep it (see <see cref="StepRecordKernels"/>), so every step queues the same launches with the
/// same arguments, and a step recorded once can be replayed.
/// </summary>
/// <remarks>
/// The host keeps a copy of what the device will hold for the next step. <see cref="SetNext"/> uploads (a host
/// synchronisation) only when the caller asks for other values, e.g. when training resumes from a checkpoint;
/// steps that follow one another, across epochs too, upload nothing.
/// </remarks>
public sealed class StepRecord : IDisposable
{
    private readonly Backend _backend;
    private readonly long[] _values = new long[StepRecordKernels.Length];

    /// <summary>A record for batches of <paramref name="batch"/> samples from a gather order of <paramref name="count"/>.</summary>
    public StepRecord(Backend backend, int batch, int count)
    {
        if (batch <= 0 || count < batch) throw new ArgumentOutOfRangeException(nameof(batch), $"A batch of {batch} from {count} samples.");
        _backend = backend;
        Batch = batch;
        Count = count;
        Buffer = backend.Allocate<long>(StepRecordKernels.Length);
        _values[StepRecordKernels.Batch] = batch;
        _values[StepRecordKernels.Count] = count;
        _values[StepRecordKernels.NextUpdate] = 1;
        backend.Upload<long>(_values, Buffer);
    }

    public DeviceBuffer<long> Buffer { get; }

    /// <summary>Samples per batch.</summary>
    public int Batch { get; }

    /// <summary>Length of the gather order the batches come from.</summary>
    public int Count { get; }

    /// <summary>The next step's number, batch start and update count (t, from 1) as the device will have them.</summary>
    public (ulong Step, int Start, long Update) Next =>
        ((ulong)_values[StepRecordKernels.NextStep], (int)_values[StepRecordKernels.NextStart], _values[StepRecordKernels.NextUpdate]);

    /// <summary>Makes the next step's values these, uploading only when they differ from what the device will have.</summary>
    public void SetNext(ulong step, int start, long update)
    {
        if (start < 0 || start > Count - Batch) throw new ArgumentOutOfRangeException(nameof(start), $"A batch of {Batch} at {start} runs past {Count}.");
        if (Next == (step, start, update)) return;
        _values[StepRecordKernels.NextStep] = (long)step;
        _values[StepRecordKernels.NextStart] = start;
        _values[StepRecordKernels.NextUpdate] = update;
        _backend.Upload<long>(_values, Buffer);
    }

    /// <summary>Follows the device: a step ran (its gather published the next values, its update wrote the ones after).</summary>
    public void Advanced()
    {
        var (step, start, update) = Next;
        _values[StepRecordKernels.NextStep] = (long)step + 1;
        _values[StepRecordKernels.NextStart] = StepRecordKernels.FollowingStart(start, Batch, Count);
        _values[StepRecordKernels.NextUpdate] = update + 1;
    }

    public void Dispose() => Buffer.Dispose();

    /// <summary>The gather's part on a backend whose memory is the host's (as <see cref="StepRecordKernels.Publish"/>).</summary>
    internal static void Publish(Span<long> r) => r.Slice(StepRecordKernels.NextStep, 3).CopyTo(r[StepRecordKernels.Step..]);

    /// <summary>The update's part on a backend whose memory is the host's (as <see cref="StepRecordKernels.Advance"/>).</summary>
    internal static void Advance(Span<long> r)
    {
        r[StepRecordKernels.NextStep] = r[StepRecordKernels.Step] + 1;
        r[StepRecordKernels.NextStart] = StepRecordKernels.FollowingStart(r[StepRecordKernels.Start], r[StepRecordKernels.Batch], r[StepRecordKernels.Count]);
        r[StepRecordKernels.NextUpdate] = r[StepRecordKernels.Update] + 1;
    }
}

/// <summary>
/// A random-stream counter an op reads when it runs: <see cref="Base"/> + <see cref="PerStep"/>·(the record's running
/// step number), or just <see cref="Base"/> without a record.
/// </summary>
public readonly record struct StepCounter(ulong Base, ulong PerStep = 0, StepRecord? Record = null)
{
    public static implicit operator StepCounter(ulong counter) => new(counter);
}
