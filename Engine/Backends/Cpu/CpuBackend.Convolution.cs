// Convolution as im2col + GEMM, one image at a time per worker: the batch is cut into one chunk per worker,
// each with its own slot of the workspace (an im2col matrix [C·KH·KW, OutH·OutW], plus partial dw and db
// that are summed at the end, so workers never write the same memory). A batch smaller than the worker
// count runs its GEMMs multi-threaded instead.
using System.Numerics.Tensors;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    private static WorkerPool Pool => WorkerPool.Shared;

    private static long ColumnLength(ConvolutionGeometry g) => (long)g.PatchLength * g.OutH * g.OutW;

    private static long SlotLength(ConvolutionGeometry g) => ColumnLength(g) + g.WeightLength + g.Filters;

    public override long ConvolutionWorkspaceLength(ConvolutionGeometry g) => Pool.Workers * SlotLength(g);

    public override void ConvolutionForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> b,
        BufferView<float> y, BufferView<float> workspace)
    {
        CheckConvolution(g, x, w, y, workspace);
        CheckView(b, g.Filters, nameof(b));
        var chunks = Math.Min(Pool.Workers, g.Batch);
        Pool.For(chunks, new ConvolutionJob(this, g, chunks, false, x, w, b, y, default, default, default, workspace));
    }

    public override void ConvolutionBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> dy,
        BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
    {
        CheckConvolution(g, x, w, dy, workspace);
        CheckView(dw, g.WeightLength, nameof(dw));
        CheckView(db, g.Filters, nameof(db));
        if (dx.Length != 0) CheckView(dx, g.InputLength, nameof(dx));
        var chunks = Math.Min(Pool.Workers, g.Batch);
        Pool.For(chunks, new ConvolutionJob(this, g, chunks, true, x, w, dy, default, dx, dw, db, workspace));
        // Sum the workers' partial dw and db (slot 0 first, so no clear is needed).
        var ws = workspace.Span();
        var slot = SlotLength(g);
        var col = ColumnLength(g);
        var dws = dw.Span()[..g.WeightLength];
        var dbs = db.Span()[..g.Filters];
        ws.Slice((int)col, g.WeightLength).CopyTo(dws);
        ws.Slice((int)col + g.WeightLength, g.Filters).CopyTo(dbs);
        for (var i = 1; i < chunks; i++)
        {
            TensorPrimitives.Add(dws, ws.Slice((int)(i * slot + col), g.WeightLength), dws);
            TensorPrimitives.Add(dbs, ws.Slice((int)(i * slot + col) + g.WeightLength, g.Filters), dbs);
        }
    }

    private void CheckConvolution(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> y, BufferView<float> workspace)
    {
        if (g.Batch < 1 || g.Channels < 1 || g.Filters < 1 || g.KernelH < 1 || g.KernelW < 1 || g.Stride < 1 || g.Pad < 0 || g.OutH < 1 || g.OutW < 1)
        {
            throw new ArgumentException($"Convolution geometry {g} has no output.", nameof(g));
        }
        CheckView(x, g.InputLength, nameof(x));
        CheckView(w, g.WeightLength, nameof(w));
        CheckView(y, g.OutputLength, nameof(y));
        CheckView(workspace, ConvolutionWorkspaceLength(g), nameof(workspace));
    }

    private readonly struct ConvolutionJob : WorkerPool.IWork
    {
        private readonly CpuTier tier;
        private readonly ConvolutionGeometry g;
        private readonly int chunks;
        private readonly bool backward;
        private readonly BufferView<float> x, w, bOrDy, y, dx, dw, db, workspace;

        public ConvolutionJob(CpuBackend backend, ConvolutionGeometry g, int chunks, bool backward, BufferView<float> x, BufferView<float> w,
            BufferView<float> bOrDy, BufferView<float> y, BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
        {
            tier = backend.Tier;
            (this.g, this.chunks, this.backward) = (g, chunks, backward);
            (this.x, this.w, this.bOrDy, this.y, this.dx, this.dw, this.db, this.workspace) = (x, w, bOrDy, y, dx, dw, db, workspace);
        }

        public unsafe void Run(int index)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, g.Batch);
            var parallel = chunks == 1;
            var spatial = g.OutH * g.OutW;
            var k = g.PatchLength;
            var image = g.Channels * g.Height * g.Width;
            var plane = g.Filters * spatial;
            var slot = SlotLength(g);
            var ws = workspace.Array();
            fixed (float* px = x.Span(), pw = w.Span(), pb = bOrDy.Span(), pws = ws)
            {
                var col = pws + workspace.Offset + index * slot;
                if (!backward)
                {
                    var py = y.Span();
                    fixed (float* pyy = py)
                    {
                        for (var n = first; n < last; n++)
                        {
                            Im2Col(g, px + (long)n * image, col);
                            var yn = pyy + (long)n * plane;
                            Sgemm.Run(tier, false, false, g.Filters, spatial, k, 1f, pw, k, col, spatial, 0f, yn, spatial, parallel);
                            for (var f = 0; f < g.Filters; f++)
                            {
                                var row = new Span<float>(yn + (long)f * spatial, spatial);
                                TensorPrimitives.Add(row, pb[f], row);
                            }
                        }
                    }
                    return;
                }
                var dwPart = col + ColumnLength(g);
                var dbPart = dwPart + g.WeightLength;
                new Span<float>(dwPart, g.WeightLength + g.Filters).Clear();
                var withDx = dx.Length != 0;
                fixed (float* pdx = dx.Span())
                {
                    for (var n = first; n < last; n++)
                    {
                        var dyn = pb + (long)n * plane;
                        Im2Col(g, px + (long)n * image, col);
                        // dw += dy_n · colᵀ, db += row sums of dy_n.
                        Sgemm.Run(tier, false, true, g.Filters, k, spatial, 1f, dyn, spatial, col, spatial, 1f, dwPart, k, parallel);
                        for (var f = 0; f < g.Filters; f++) dbPart[f] += TensorPrimitives.Sum(new ReadOnlySpan<float>(dyn + (long)f * spatial, spatial));
                        if (!withDx) continue;
                        // dcol = wᵀ · dy_n, then scattered back onto the image.
                        Sgemm.Run(tier, true, false, k, spatial, g.Filters, 1f, pw, k, dyn, spatial, 0f, col, spatial, parallel);
                        Col2Im(g, col, pdx + (long)n * image);
                    }
                }
            }
        }
    }

    // The output columns [lo, hi) whose input column ow·stride − pad + kw lies inside [0, width).
    private static (int Lo, int Hi) ValidRange(int kw, int pad, int stride, int width, int outW)
    {
        var lo = Math.Max(0, (pad - kw + stride - 1) / stride);
        var hi = Math.Min(outW, (width - 1 + pad - kw) / stride + 1);
        if (width - 1 + pad - kw < 0) hi = 0;
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>col[(c·KH + kh)·KW + kw, oh·OutW + ow] = x[c, oh·S − P + kh, ow·S − P + kw], zero outside.</summary>
    internal static unsafe void Im2Col(ConvolutionGeometry g, float* x, float* col)
    {
        int oh = g.OutH, ow = g.OutW, s = g.Stride;
        for (var c = 0; c < g.Channels; c++)
        {
            var xc = x + (long)c * g.Height * g.Width;
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var (lo, hi) = ValidRange(kw, g.Pad, s, g.Width, ow);
                    for (var r = 0; r < oh; r++)
                    {
                        var dst = col + (long)r * ow;
                        var ih = r * s - g.Pad + kh;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            new Span<float>(dst, ow).Clear();
                            continue;
                        }
                        for (var q = 0; q < lo; q++) dst[q] = 0f;
                        var src = xc + (long)ih * g.Width - g.Pad + kw;
                        if (s == 1) new ReadOnlySpan<float>(src + lo, hi - lo).CopyTo(new Span<float>(dst + lo, hi - lo));
                        else for (var q = lo; q < hi; q++) dst[q] = src[q * s];
                        for (var q = hi; q < ow; q++) dst[q] = 0f;
                    }
                    col += (long)oh * ow;
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: x is overwritten with the sum of every column entry that reads it.</summary>
    internal static unsafe void Col2Im(ConvolutionGeometry g, float* col, float* x)
    {
        int oh = g.OutH, ow = g.OutW, s = g.Stride;
        new Span<float>(x, g.Channels * g.Height * g.Width).Clear();
        for (var c = 0; c < g.Channels; c++)
        {
            var xc = x + (long)c * g.Height * g.Width;
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var (lo, hi) = ValidRange(kw, g.Pad, s, g.Width, ow);
                    for (var r = 0; r < oh; r++)
                    {
                        var ih = r * s - g.Pad + kh;
                        if ((uint)ih >= (uint)g.Height || hi <= lo) continue;
                        var src = col + (long)r * ow;
                        var dst = xc + (long)ih * g.Width - g.Pad + kw;
                        if (s == 1)
                        {
                            var d = new Span<float>(dst + lo, hi - lo);
                            TensorPrimitives.Add(d, new ReadOnlySpan<float>(src + lo, hi - lo), d);
                        }
                        else for (var q = lo; q < hi; q++) dst[q * s] += src[q];
                    }
                    col += (long)oh * ow;
                }
            }
        }
    }
}
