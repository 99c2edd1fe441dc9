namespace DeepGpu.Backends.Cpu;

/// <summary>
/// Persistent worker threads for data-parallel loops. Parallel.For allocates and wakes the thread pool on
/// every call, which costs more than a small GEMM; these threads spin briefly, then sleep on a semaphore.
/// One <see cref="Run"/> at a time (ops are queued in order on one stream); the caller's thread works too.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    public static WorkerPool Shared { get; } = new(Environment.ProcessorCount);

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _done = new(false, 2000);
    private int _busy;
    private IWork? _work;
    private int _count;
    private int _next;
    private int _outstanding;
    // Per worker, in RunPerWorker: whether its index has been taken (by it, or by the caller in its stead).
    private readonly int[] _taken;
    private bool _perWorker;
    private volatile bool _disposed;

    public WorkerPool(int workers)
    {
        _threads = new Thread[Math.Max(0, workers - 1)];
        _taken = new int[_threads.Length + 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            var worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"DeepGpu cpu worker {worker}" };
            _threads[i].Start();
        }
        // The first wait that blocks allocates the event's lock (88 bytes on the caller's thread); take it here,
        // so a step that has to wait for slow helpers under load still allocates nothing.
        _done.Wait(1);
    }

    /// <summary>Threads that run work, the caller's included.</summary>
    public int Workers => _threads.Length + 1;

    /// <summary>A loop body: Run(i, w) for each index i of the loop, w being the running worker (0 = the caller).</summary>
    public interface IWork
    {
        void Run(int index, int worker);
    }

    /// <summary>Runs work.Run(i) for i in [0, count) across the workers and waits for all of them.</summary>
    public void Run(int count, IWork work)
    {
        if (count <= 0) return;
        if (!TryAcquire(count))
        {
            for (var i = 0; i < count; i++) work.Run(i, 0);
            return;
        }
        try
        {
            RunAcquired(count, work);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Runs work.Run(w, w) for each worker w: the same part of a loop lands on the same thread call after call, so
    /// the data of that part stays in that core's caches. The caller takes over a part whose worker has not started
    /// by the time its own part is done.
    /// </summary>
    public void RunPerWorker(IWork work)
    {
        var count = Workers;
        if (!TryAcquire(count))
        {
            for (var i = 0; i < count; i++) work.Run(i, 0);
            return;
        }
        try
        {
            Array.Clear(_taken);
            _perWorker = true;
            RunAcquired(count, work);
        }
        finally
        {
            _perWorker = false;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Runs body.Run(i) for i in [0, count). The struct is parked in a static box per type while the pool is held,
    /// so a call allocates nothing.
    /// </summary>
    public void For<T>(int count, T body) where T : struct, IWork
    {
        if (count <= 0) return;
        // The box is made on the first call even when the pool is busy (tests in parallel), so that a later call
        // that does get the pool allocates nothing either.
        var box = Box<T>.Instance;
        if (!TryAcquire(count))
        {
            for (var i = 0; i < count; i++) body.Run(i, 0);
            return;
        }
        try
        {
            box.Body = body;
            RunAcquired(count, box);
            box.Body = default;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>The part [start, end) of [0, total) that chunk index of count covers.</summary>
    public static (int Start, int End) Chunk(int index, int count, int total) =>
        ((int)((long)total * index / count), (int)((long)total * (index + 1) / count));

    /// <summary>How many chunks to cut a loop of total items into, at least grain items each.</summary>
    public int Chunks(long total, long grain) => (int)Math.Clamp(total / Math.Max(1, grain), 1, Workers);

    // Nested calls (a body that runs a parallel op) and concurrent ones (tests in parallel) run on the caller.
    private bool TryAcquire(int count) =>
        count > 1 && _threads.Length > 0 && Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    private sealed class Box<T> : IWork where T : struct, IWork
    {
        public static readonly Box<T> Instance = new();
        public T Body;

        public void Run(int index, int worker) => Body.Run(index, worker);
    }

    private void RunAcquired(int count, IWork work)
    {
        {
            var helpers = Math.Min(_threads.Length, count - 1);
            _work = work;
            _count = count;
            // Each helper signs off once after draining, so no helper outlives this call.
            Volatile.Write(ref _outstanding, count + helpers);
            _done.Reset();
            Volatile.Write(ref _next, 0);
            _start.Release(helpers);
            Drain(0);
            if (_perWorker)
            {
                // Parts whose worker has not woken yet: late is worse than cold.
                for (var i = 1; i < count; i++) RunTaken(work, i, 0);
            }
            // Wake-ups no helper has taken yet are taken back: on a busy machine a helper may not be scheduled
            // for milliseconds, and the caller, having run every index itself, must not wait for it.
            while (Volatile.Read(ref _outstanding) != 0 && _start.Wait(0)) Finish();
            if (Volatile.Read(ref _outstanding) != 0) _done.Wait();
            _work = null;
        }
    }

    private void Drain(int worker)
    {
        var w = _work!;
        if (_perWorker)
        {
            if (worker < _count) RunTaken(w, worker, worker);
            return;
        }
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
        {
            w.Run(i, worker);
            Finish();
        }
    }

    // Runs index i unless its worker or the caller has taken it already.
    private void RunTaken(IWork work, int i, int worker)
    {
        if (Interlocked.Exchange(ref _taken[i], 1) != 0) return;
        work.Run(i, worker);
        Finish();
    }

    private void Finish()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0) _done.Set();
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _start.Wait();
            if (_disposed) return;
            Drain(worker);
            Finish();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _start.Release(_threads.Length);
    }
}
