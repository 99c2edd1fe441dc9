using System.Collections.Concurrent;
using DeepGpu.Backends.Cpu;
using Xunit;

namespace DeepGpu.Tests.Cpu;

public class WorkerPoolTests
{
    private sealed class Recorder : WorkerPool.IWork
    {
        public ConcurrentQueue<(int Index, int Worker)> Runs { get; } = new();

        public void Run(int index, int worker) => Runs.Enqueue((index, worker));
    }

    [Fact]
    public void RunPerWorkerRunsEachPartOnceOnItsWorkerOrTheCaller()
    {
        using var pool = new WorkerPool(3);
        for (var call = 0; call < 200; call++)
        {
            var work = new Recorder();
            pool.RunPerWorker(work);
            var runs = work.Runs.OrderBy(r => r.Index).ToList();
            Assert.True(runs.Select(r => r.Index).SequenceEqual([0, 1, 2]), $"call {call}: parts run {string.Join(", ", runs)}");
            // Part w runs on worker w, or on the caller (0) when worker w had not started by the time the caller's part was done.
            Assert.All(runs, r => Assert.True(r.Worker == r.Index || r.Worker == 0, $"call {call}: part {r.Index} ran on worker {r.Worker}"));
        }
    }

    [Fact]
    public void RunPerWorkerInsideARunRunsEveryPartOnTheCaller()
    {
        using var pool = new WorkerPool(2);
        var inner = new Recorder();
        pool.For(2, new Nested(pool, inner));
        // Each of the two outer indices ran the inner loop on its own thread, as worker 0 of the nested call.
        Assert.Equal(4, inner.Runs.Count);
        Assert.All(inner.Runs, r => Assert.Equal(0, r.Worker));
        Assert.Equal([0, 0, 1, 1], inner.Runs.Select(r => r.Index).Order().ToArray());
    }

    private readonly struct Nested(WorkerPool pool, Recorder inner) : WorkerPool.IWork
    {
        public void Run(int index, int worker) => pool.RunPerWorker(inner);
    }
}
