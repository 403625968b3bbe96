namespace CameSharp.Kernels;

/// <summary>
/// Runs the chunks of a <see cref="ChunkJob"/> on a small pool of dedicated threads plus the caller.
/// Chunks are handed out dynamically, which balances load; determinism comes from the jobs, whose chunks
/// and reduction order are fixed by the tensor's shape alone. Running a job allocates nothing.
/// </summary>
internal sealed class KernelRunner : IDisposable
{
    // Semaphores rather than a ManualResetEventSlim: the latter allocates its lock the first time a wait blocks,
    // which may be any step, and a step must not allocate.
    private readonly SemaphoreSlim start = new(0);
    private readonly SemaphoreSlim done = new(0);
    private Thread[] workers = [];
    private ChunkJob? job;
    private int chunkCount;
    private int nextChunk;
    private int activeWorkers;
    private Exception? failure;
    private volatile bool disposed;

    public KernelRunner(int degreeOfParallelism) => DegreeOfParallelism = degreeOfParallelism;

    /// <summary>The number of threads a job may use, the caller included.</summary>
    public int DegreeOfParallelism
    {
        get;
        set => field = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DegreeOfParallelism), value,
                $"DegreeOfParallelism must be in [1, {int.MaxValue}]; got {value}.");
    }

    public void Run(ChunkJob chunkJob, int chunks)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int helpers = Math.Min(DegreeOfParallelism, chunks) - 1;
        if (helpers <= 0)
        {
            for (int c = 0; c < chunks; c++) chunkJob.Run(c);
            return;
        }

        EnsureWorkers(helpers);
        job = chunkJob;
        chunkCount = chunks;
        nextChunk = 0;
        failure = null;
        activeWorkers = helpers;
        start.Release(helpers);
        Drain();
        done.Wait();
        job = null;
        if (failure is { } e)
            throw new InvalidOperationException("A kernel chunk failed.", e);
    }

    private void Drain()
    {
        try
        {
            int c;
            while ((c = Interlocked.Increment(ref nextChunk) - 1) < chunkCount)
                job!.Run(c);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref failure, e, null);
            nextChunk = int.MaxValue / 2;
        }
    }

    private void EnsureWorkers(int count)
    {
        if (workers.Length >= count) return;
        var grown = new Thread[count];
        workers.CopyTo(grown, 0);
        for (int i = workers.Length; i < count; i++)
        {
            grown[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"CameSharp kernel {i + 1}" };
            grown[i].Start();
        }
        workers = grown;
    }

    private void WorkerLoop()
    {
        while (true)
        {
            start.Wait();
            if (disposed) return;
            Drain();
            if (Interlocked.Decrement(ref activeWorkers) == 0) done.Release();
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (workers.Length > 0) start.Release(workers.Length);
    }
}
