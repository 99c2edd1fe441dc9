using System.Threading.Channels;
using DeepGpu.Models;

namespace DeepGpu.Cli.Serve;

/// <summary>
/// Classifies prepared inputs for many concurrent requests on one model, which must not be used from two
/// threads at once. One worker takes everything queued (up to <see cref="MaxBatch"/>) and classifies it in
/// one call, so requests that arrive while the model is busy share the next batch: an idle server answers a
/// lone request at once, a loaded one runs fewer, larger batches. Each caller gets its own input's answer.
/// </summary>
internal sealed class BatchingClassifier : IAsyncDisposable
{
    /// <summary>Most inputs classified in one call.</summary>
    public const int MaxBatch = 64;

    private readonly Model _model;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private long _batches, _inputs;

    private sealed record Pending(float[] Input, TaskCompletionSource<Prediction> Answer);

    public BatchingClassifier(Model model)
    {
        _model = model;
        // Plans are compiled per batch size on first use; compile the ones batches use now, not in a request.
        for (var n = 1; n <= MaxBatch; n *= 2) model.Classify(Enumerable.Repeat(new float[model.Network.InputShape.Size], n).ToList());
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Batches run so far, and the inputs they held (their ratio is the mean batch size).</summary>
    public (long Batches, long Inputs) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _inputs));

    /// <summary>The class of one prepared input (the model's input size, values in [0, 1]).</summary>
    public Task<Prediction> ClassifyAsync(float[] input)
    {
        var answer = new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(input, answer))) answer.SetException(new ObjectDisposedException(nameof(BatchingClassifier)));
        return answer.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            try
            {
                Classify(batch);
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Answer.TrySetException(e);
            }
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _inputs, batch.Count);
            batch.Clear();
        }
    }

    // Batches go to the model in power-of-two slices, so it keeps seven plans rather than one per size.
    private void Classify(List<Pending> batch)
    {
        for (var start = 0; start < batch.Count;)
        {
            var n = 1 << (31 - int.LeadingZeroCount(batch.Count - start));
            var answers = _model.Classify(batch.GetRange(start, n).Select(p => p.Input).ToList());
            for (var i = 0; i < n; i++) batch[start + i].Answer.TrySetResult(answers[i]);
            start += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker;
    }
}
