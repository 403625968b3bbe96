using CameSharp.Kernels;

namespace CameSharp.Tests.Kernels;

public sealed class FactoredLayoutTests
{
    [Theory]
    [InlineData(new[] { 1, 5 })]
    [InlineData(new[] { 5, 1 })]
    [InlineData(new[] { 7, 3, 4 })]
    [InlineData(new[] { 1000, 4, 4 })]
    [InlineData(new[] { 700, 300 })]
    [InlineData(new[] { 3, 200, 400 })]
    [InlineData(new[] { 64, 40000 })]
    [InlineData(new[] { 2, 2, 513, 129 })]
    public void Chunks_cover_every_row_of_every_matrix_exactly_once(int[] shape)
    {
        var layout = new FactoredLayout(shape);
        var covered = new int[layout.Batches * layout.Rows];
        for (int c = 0; c < layout.ChunkCount; c++)
        {
            var (b0, b1, r0, r1) = layout.Range(c);
            for (int b = b0; b < b1; b++)
                for (int r = r0; r < r1; r++) covered[b * layout.Rows + r]++;
        }
        Assert.All(covered, n => Assert.Equal(1, n));
    }

    [Fact]
    public void A_large_matrix_is_split_and_its_partials_stay_bounded()
    {
        var tall = new FactoredLayout([4096, 1024]);
        Assert.True(tall.Splits > 1);
        var wide = new FactoredLayout([768, 50257]);
        Assert.True(wide.Splits > 1);
        Assert.True(wide.PartialFloats <= 1 << 20, $"{wide.PartialFloats} partial floats");
    }

    [Fact]
    public void The_chunking_depends_on_the_shape_alone()
    {
        var a = new FactoredLayout([3, 200, 400]);
        var b = new FactoredLayout([3, 200, 400]);
        Assert.Equal((a.ChunkCount, a.Splits, a.RowsPerSplit), (b.ChunkCount, b.Splits, b.RowsPerSplit));
    }
}
