using CameSharp.Checkpoints;

namespace CameSharp.Tests.Checkpoints;

/// <summary>
/// Random truncations and bit flips of a real checkpoint: each must raise <see cref="CheckpointException"/> and leave
/// the loading optimizer exactly as it was. CAMESHARP_FUZZ_CASES sets the number of cases (default 3000).
/// </summary>
public sealed class CheckpointFuzzTests
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("CAMESHARP_FUZZ_CASES"), out int n) && n > 0 ? n : 3000;

    [Theory]
    [InlineData("came", StateFormat.Float32)]
    [InlineData("adafactor", StateFormat.Float32)]
    [InlineData("came", StateFormat.Blockwise8Bit)]
    [InlineData("adamw", StateFormat.Blockwise8Bit)]
    public void Truncated_or_bit_flipped_checkpoints_are_refused_without_a_partial_load(string name, StateFormat format)
    {
        using var source = new CheckpointFixture(name, format);
        source.Run(0, 3);
        using var buffer = new MemoryStream();
        source.Optimizer.Save(buffer);
        byte[] good = buffer.ToArray();

        using var target = new CheckpointFixture(name, format);
        target.Run(0, 5);
        string before = target.Fingerprint();
        var rng = new Random(name.Length);
        int truncations = 0, flips = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] bad;
            if (i % 3 == 0)
            {
                bad = good.AsSpan(0, rng.Next(good.Length)).ToArray();
                truncations++;
            }
            else
            {
                bad = (byte[])good.Clone();
                for (int f = rng.Next(1, 4); f > 0; f--) bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
                if (bad.AsSpan().SequenceEqual(good)) continue;
                flips++;
            }
            try
            {
                target.Optimizer.Load(new MemoryStream(bad));
                Assert.Fail($"case {i}: a damaged checkpoint loaded");
            }
            catch (CheckpointException)
            {
            }
            if (i % 50 == 0 || i == Cases - 1) Assert.Equal(before, target.Fingerprint());
        }
        Assert.True(truncations > 0 && flips > 0);
        Assert.Equal(before, target.Fingerprint());

        target.Optimizer.Load(new MemoryStream(good));
        Assert.NotEqual(before, target.Fingerprint());
    }
}
