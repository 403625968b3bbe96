using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

public sealed class KernelRunnerTests
{
    private sealed class CountingJob(int chunks) : ChunkJob
    {
        public readonly int[] Runs = new int[chunks];
        public int FailAt { get; init; } = -1;

        public override void Run(int chunk)
        {
            if (chunk == FailAt) throw new InvalidDataException("chunk failed");
            Interlocked.Increment(ref Runs[chunk]);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 100)]
    [InlineData(2, 1)]
    [InlineData(2, 1000)]
    [InlineData(8, 3)]
    [InlineData(8, 1000)]
    public void Runs_every_chunk_exactly_once(int threads, int chunks)
    {
        using var runner = new KernelRunner(threads);
        for (int repeat = 0; repeat < 20; repeat++)
        {
            var job = new CountingJob(chunks);
            runner.Run(job, chunks);
            Assert.All(job.Runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void Disposing_a_runner_that_never_ran_in_parallel_does_not_throw()
    {
        var runner = new KernelRunner(4);
        runner.Run(new CountingJob(1), 1);
        runner.Dispose();
        runner.Dispose();
    }

    [Fact]
    public void A_failing_chunk_surfaces_and_the_runner_stays_usable()
    {
        using var runner = new KernelRunner(3);
        var e = Assert.Throws<InvalidOperationException>(() => runner.Run(new CountingJob(500) { FailAt = 250 }, 500));
        Assert.IsType<InvalidDataException>(e.InnerException);
        var job = new CountingJob(500);
        runner.Run(job, 500);
        Assert.All(job.Runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void Degree_of_parallelism_below_one_is_refused()
    {
        using var runner = new KernelRunner(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => runner.DegreeOfParallelism = 0);
        Assert.Contains("[1,", e.Message);
    }
}
