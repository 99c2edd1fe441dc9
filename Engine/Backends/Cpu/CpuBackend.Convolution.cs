// Convolution as im2col + GEMM. Images go G at a time (G·OutH·OutW ≈ 1024 columns): their im2col matrices
// sit side by side in one [C·KH·KW, G·OutH·OutW] matrix, so one GEMM serves G images and small layers
// (8×8 planes) still give the micro-kernel long rows. Groups are handed out to the workers dynamically
// (a busy core does not hold the others up); each worker has its own scratch slot of the workspace, and
// each group its own partial dw and db, summed in group order at the end: which worker ran which group
// never changes the result, so a seed gives the same training run every time. A batch that makes a single
// group runs multi-threaded GEMMs instead.
using System.Runtime.CompilerServices;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    private static WorkerPool Pool => WorkerPool.Shared;

    private const long ColumnBudget = 128 * 1024;

    /// <summary>
    /// Images per GEMM: enough for about 1024 output columns, but an im2col group small enough (128 Ki floats)
    /// to stay in L2 between the im2col, the packing and the col2im passes; at most the batch.
    /// </summary>
    private static int GroupSize(ConvolutionGeometry g)
    {
        var spatial = g.OutH * g.OutW;
        var wanted = (1024 + spatial - 1) / spatial;
        var fits = ColumnBudget / ((long)g.PatchLength * spatial);
        return (int)Math.Clamp(Math.Min(wanted, fits), 1, Math.Min(32, g.Batch));
    }

    // Worker slot: im2col [K, G·S], then outputs or gathered dy [F, G·S]. After the slots, one partial dw [F, K]
    // and db [F] per group.
    private static long ColumnLength(ConvolutionGeometry g) => (long)g.PatchLength * g.OutH * g.OutW * GroupSize(g);

    private static long GroupOutputLength(ConvolutionGeometry g) => (long)g.Filters * g.OutH * g.OutW * GroupSize(g);

    private static long SlotLength(ConvolutionGeometry g) => ColumnLength(g) + GroupOutputLength(g);

    private static long PartialLength(ConvolutionGeometry g) => g.WeightLength + g.Filters;

    private static long PartialsStart(ConvolutionGeometry g) => Slots(g) * SlotLength(g);

    private static int Groups(ConvolutionGeometry g) => (g.Batch + GroupSize(g) - 1) / GroupSize(g);

    // One slot per worker, or per group when there are fewer groups than workers (then a group's index is its slot).
    private static int Slots(ConvolutionGeometry g) => Math.Min(Pool.Workers, Groups(g));

    protected override long ConvolutionWorkspaceLengthCore(ConvolutionGeometry g) =>
        UsesDirect(g) ? new DirectLayout(g, Tier, Pool.Workers).Length(g) : PartialsStart(g) + Groups(g) * PartialLength(g);

    protected override void ConvolutionForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers b)
    {
        if (UsesDirect(g))
        {
            DirectForward(g, b.X, b.W, b.B, b.Y, b.Workspace, relu: false);
            return;
        }
        var groups = Groups(g);
        Pool.For(groups, new ConvolutionJob(this, g, groups, false, b.X, b.W, b.B, b.Y, default, default, default, b.Workspace));
    }

    /// <summary>On the direct path the ReLU is applied as the outputs are copied out of the canvas.</summary>
    protected override void ConvolutionReluForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers b)
    {
        if (UsesDirect(g)) DirectForward(g, b.X, b.W, b.B, b.Y, b.Workspace, relu: true);
        else base.ConvolutionReluForwardCore(g, b);
    }

    /// <summary>On the direct path dy is masked by y &gt; 0 as it is copied onto the canvas (dy itself is left as it was).</summary>
    protected override void ConvolutionReluBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers b, BufferView<float> y)
    {
        if (UsesDirect(g)) DirectBackward(g, b.X, b.W, b.DY, b.DX, b.DW, b.DB, b.Workspace, reluOutput: y);
        else base.ConvolutionReluBackwardCore(g, b, y);
    }

    protected override void ConvolutionBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers b)
    {
        if (UsesDirect(g))
        {
            DirectBackward(g, b.X, b.W, b.DY, b.DX, b.DW, b.DB, b.Workspace, reluOutput: default);
            return;
        }
        var groups = Groups(g);
        Pool.For(groups, new ConvolutionJob(this, g, groups, true, b.X, b.W, b.DY, default, b.DX, b.DW, b.DB, b.Workspace));
        SumPartials(Tier, g, b.Workspace, PartialsStart(g), groups, b.DW, b.DB);
    }

    /// <summary>dw and db as the sums of the groups' partials (each F·K then F floats from <paramref name="start"/>), always in group order.</summary>
    private static void SumPartials(CpuTier tier, ConvolutionGeometry g, BufferView<float> workspace, long start, int groups, BufferView<float> dw, BufferView<float> db)
    {
        var ws = workspace.Span();
        var part = PartialLength(g);
        var dws = dw.Span()[..g.WeightLength];
        var dbs = db.Span()[..g.Filters];
        ws.Slice((int)start, g.WeightLength).CopyTo(dws);
        ws.Slice((int)start + g.WeightLength, g.Filters).CopyTo(dbs);
        for (var i = 1; i < groups; i++)
        {
            TierLoop.Add(tier, dws, ws.Slice((int)(start + i * part), g.WeightLength), dws);
            TierLoop.Add(tier, dbs, ws.Slice((int)(start + i * part) + g.WeightLength, g.Filters), dbs);
        }
    }

    private readonly struct ConvolutionJob : WorkerPool.IWork
    {
        private readonly CpuTier _tier;
        private readonly ConvolutionGeometry _g;
        private readonly int _groups;
        private readonly bool _backward;
        private readonly BufferView<float> _x, _w, _bOrDy, _y, _dx, _dw, _db, _workspace;

        public ConvolutionJob(CpuBackend backend, ConvolutionGeometry g, int groups, bool backward, BufferView<float> x, BufferView<float> w,
            BufferView<float> bOrDy, BufferView<float> y, BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
        {
            _tier = backend.Tier;
            (_g, _groups, _backward) = (g, groups, backward);
            (_x, _w, _bOrDy, _y, _dx, _dw, _db, _workspace) = (x, w, bOrDy, y, dx, dw, db, workspace);
        }

        public unsafe void Run(int index, int worker)
        {
            var group = GroupSize(_g);
            var first = index * group;
            var last = Math.Min(_g.Batch, first + group);
            var parallel = _groups == 1;
            var spatial = _g.OutH * _g.OutW;
            var k = _g.PatchLength;
            var image = _g.Channels * _g.Height * _g.Width;
            var plane = _g.Filters * spatial;
            var ws = _workspace.Array();
            fixed (float* px = _x.Span(), pw = _w.Span(), pb = _bOrDy.Span(), pws = ws, py = _y.Span(), pdx = _dx.Span())
            {
                var col = pws + _workspace.Offset + (_groups <= Pool.Workers ? index : worker) * SlotLength(_g);
                var outs = col + ColumnLength(_g);
                var dwPart = pws + _workspace.Offset + PartialsStart(_g) + index * PartialLength(_g);
                var dbPart = dwPart + _g.WeightLength;
                for (var n0 = first; n0 < last; n0 += group)
                {
                    var count = Math.Min(group, last - n0);
                    var cols = count * spatial;
                    for (var i = 0; i < count; i++) Im2Col(_tier, _g, px + (long)(n0 + i) * image, col + i * spatial, cols);
                    if (!_backward)
                    {
                        // [F, G·S] = w · col, then each image's rows move to y with the bias added.
                        var target = count == 1 ? py + (long)n0 * plane : outs;
                        Sgemm.Run(_tier, false, false, _g.Filters, cols, k, 1f, pw, k, col, cols, 0f, target, cols, parallel);
                        for (var i = 0; i < count; i++)
                        {
                            for (var f = 0; f < _g.Filters; f++)
                            {
                                var row = new ReadOnlySpan<float>(target + (long)f * cols + i * spatial, spatial);
                                TierLoop.MultiplyAdd(_tier, row, 1f, pb[f], new Span<float>(py + (long)(n0 + i) * plane + (long)f * spatial, spatial));
                            }
                        }
                        continue;
                    }
                    // Gather dy of the group as [F, G·S] (a single image is already laid out so).
                    var dyg = pb + (long)n0 * plane;
                    if (count > 1)
                    {
                        for (var i = 0; i < count; i++)
                        {
                            for (var f = 0; f < _g.Filters; f++)
                            {
                                new ReadOnlySpan<float>(dyg + (long)i * plane + (long)f * spatial, spatial)
                                    .CopyTo(new Span<float>(outs + (long)f * cols + i * spatial, spatial));
                            }
                        }
                        dyg = outs;
                    }
                    // The group's dw = dy · colᵀ and db = row sums of dy (a group is one pass of this loop).
                    Sgemm.Run(_tier, false, true, _g.Filters, k, cols, 1f, dyg, cols, col, cols, 0f, dwPart, k, parallel);
                    for (var f = 0; f < _g.Filters; f++) dbPart[f] = TierLoop.Sum(_tier, new ReadOnlySpan<float>(dyg + (long)f * cols, cols));
                    if (pdx == null) continue;
                    // dcol = wᵀ · dy, then scattered back onto each image.
                    Sgemm.Run(_tier, true, false, k, cols, _g.Filters, 1f, pw, k, dyg, cols, 0f, col, cols, parallel);
                    for (var i = 0; i < count; i++) Col2Im(_tier, _g, col + i * spatial, cols, pdx + (long)(n0 + i) * image);
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

    /// <summary>col[(c·KH + kh)·KW + kw, oh·OutW + ow] = x[c, oh·S − P + kh, ow·S − P + kw], zero outside; rows ld apart.</summary>
    internal static unsafe void Im2Col(CpuTier tier, ConvolutionGeometry g, float* x, float* col, int ld) => ForEachTapRow<Im2ColRow>(tier, g, x, col, ld);

    /// <summary>The adjoint of <see cref="Im2Col"/>: x is overwritten with the sum of every column entry that reads it.</summary>
    internal static unsafe void Col2Im(CpuTier tier, ConvolutionGeometry g, float* col, int ld, float* x)
    {
        new Span<float>(x, g.Channels * g.Height * g.Width).Clear();
        ForEachTapRow<Col2ImRow>(tier, g, x, col, ld);
    }

    /// <summary>
    /// Pairs every column row (one per tap c, kh, kw and output row, ld apart per tap) with the image row it reads;
    /// columns [lo, hi) read inside the image. The row op is a struct type argument, so each walk compiles to its own
    /// straight loop.
    /// </summary>
    private static unsafe void ForEachTapRow<TRow>(CpuTier tier, ConvolutionGeometry g, float* x, float* col, int ld) where TRow : struct, ITapRow
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
                        var ih = r * s - g.Pad + kh;
                        TRow.Run(tier, col + (long)r * ow, xc + (long)ih * g.Width - g.Pad + kw, (uint)ih < (uint)g.Height, lo, hi, ow, s);
                    }
                    col += ld;
                }
            }
        }
    }

    private unsafe interface ITapRow
    {
        /// <summary>One column row against its image row (entry q of the column reads image[q·stride]); the image row is
        /// not read when <paramref name="inImage"/> is false.</summary>
        static abstract void Run(CpuTier tier, float* col, float* image, bool inImage, int lo, int hi, int ow, int stride);
    }

    private readonly unsafe struct Im2ColRow : ITapRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(CpuTier tier, float* col, float* image, bool inImage, int lo, int hi, int ow, int stride)
        {
            if (!inImage)
            {
                new Span<float>(col, ow).Clear();
                return;
            }
            for (var q = 0; q < lo; q++) col[q] = 0f;
            if (stride == 1) CopyRow(tier, image + lo, col + lo, hi - lo);
            else for (var q = lo; q < hi; q++) col[q] = image[q * stride];
            for (var q = hi; q < ow; q++) col[q] = 0f;
        }
    }

    private readonly unsafe struct Col2ImRow : ITapRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(CpuTier tier, float* col, float* image, bool inImage, int lo, int hi, int ow, int stride)
        {
            if (!inImage || hi <= lo) return;
            if (stride == 1) AddRow(tier, col + lo, image + lo, hi - lo);
            else for (var q = lo; q < hi; q++) image[q * stride] += col[q];
        }
    }

    // Rows here are short (an image row, 8 to 28 floats) and there are millions per step: inlined tier loops
    // instead of a call into Memmove for each.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow(CpuTier tier, float* src, float* dst, int n) =>
        TierLoop.Copy(tier, new ReadOnlySpan<float>(src, n), new Span<float>(dst, n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(CpuTier tier, float* src, float* dst, int n) =>
        TierLoop.Add(tier, new ReadOnlySpan<float>(dst, n), new ReadOnlySpan<float>(src, n), new Span<float>(dst, n));
}
