// Stride-1 convolutions without im2col (every vector tier; the scalar tier uses im2col + GEMM).
// A group of images is laid out, zero-padded, on one canvas per channel: image i in cell (i / Across, i % Across),
// cells of (H + P) × (W + P) so neighbours share their padding, canvas rows Width = Across·(W + P) floats long.
// Number the output pixels by "virtual columns" j = canvas position of their window's corner. Then for each
// patch entry k = (c, kh, kw) the inputs of consecutive j are consecutive floats at xp + off(k) + j, with
// off(k) = c·pitch + kh·Width + kw: the convolution is a GEMM whose B rows are read straight off the canvas.
// No im2col matrix is written and no B panel packed, so what the micro-kernel streams stays in L1/L2. Columns
// whose window straddles two cells are computed and dropped (about KW−1−P of every W + P columns and likewise
// for rows: 10–20% of the work). dx is the same kind of convolution, of dy laid out on a canvas with borders
// KH−1−P and KW−1−P (the same cells), with the filters flipped and their channels swapped; that canvas, shifted
// by its borders, also holds dy at x's virtual columns with zeros in between, so dw reduces dy·x over j in
// vector lanes (DirectConvolutionDotKernels.Dot). Each group has its own partial dw and db, summed in group order, so
// results do not depend on which worker ran what.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Whether stride-1 convolutions may take the direct path (on by default); off, every convolution runs as
    /// im2col + GEMM, which the tests and benchmarks use to check and time both on one tier.
    /// </summary>
    internal bool DirectConvolutions { get; init; } = true;

    /// <summary>The direct path: stride 1, padding below the kernel size (so dy's padding is not negative), a vector tier.</summary>
    private bool UsesDirect(ConvolutionGeometry g) =>
        DirectConvolutions && Tier != CpuTier.Scalar && g.Stride == 1 && g.Pad < g.KernelH && g.Pad < g.KernelW;

    /// <summary>Sizes and workspace offsets of the direct path for one geometry.</summary>
    private readonly struct DirectLayout
    {
        /// <summary>Images per group, on a grid of Across × Down cells of CellH × CellW (H + P by W + P).</summary>
        public readonly int Images, Across, Down, CellH, CellW;
        /// <summary>Canvas row width (Across·CellW) and channel pitch.</summary>
        public readonly int Width, Pitch;
        /// <summary>Virtual columns of a full group's outputs (and of dx's).</summary>
        public readonly int Columns, ColumnsQ;
        /// <summary>The tier's kernels: MR×NR output tiles, and dw in blocks of DotRows filters by 3 patch entries.</summary>
        public readonly int MR, NR, DotRows;
        public readonly CpuTier Tier;
        /// <summary>Filters and channels rounded up to MR (the rows the tile kernel computes), filters to DotRows too.</summary>
        public readonly int FilterRows, ChannelRows, DyPlanes, Patch3, FlippedPatch;
        public readonly long XLength, DyLength, OutLength, Slot, PackedW, PackedFlipped, Offsets, FlippedOffsets, SlotsStart, PartialsStart;

        public DirectLayout(ConvolutionGeometry g, CpuTier tier, int workers)
        {
            Tier = tier;
            (MR, NR, DotRows) = tier switch
            {
                CpuTier.Vector512 => (8, 32, 8),
                CpuTier.Vector256 => (6, 16, 4),
                _ => (6, 8, 4),
            };
            CellH = g.Height + g.Pad;
            CellW = g.Width + g.Pad;
            // About 1024 virtual columns a group: long rows for the kernels, and a canvas that stays in L2.
            var wanted = 1024.0 / (CellH * CellW);
            Across = Math.Max(1, (int)Math.Round(Math.Sqrt(wanted)));
            Down = Math.Max(1, (int)Math.Round(wanted / Across));
            Images = Math.Min(Across * Down, g.Batch);
            Down = (Images + Across - 1) / Across;
            Width = Across * CellW;
            Columns = ((Down - 1) * CellH + g.OutH) * Width;
            ColumnsQ = ((Down - 1) * CellH + g.Height) * Width;
            // Rows for the widest border (P for x, KH−1−P for dy) above and below, then room for the kernels'
            // reads past the last row (rounded-up columns plus the largest offset within a channel).
            var border = Math.Max(g.Pad, g.KernelH - 1 - g.Pad);
            Pitch = Round((Down * CellH + 2 * border + 2) * Width + 64, 16);
            FilterRows = Round(g.Filters, MR);
            ChannelRows = Round(g.Channels, MR);
            DyPlanes = Round(g.Filters, DotRows);
            Patch3 = Round(g.PatchLength, 3);
            FlippedPatch = g.Filters * g.KernelH * g.KernelW;
            XLength = (long)g.Channels * Pitch;
            DyLength = (long)DyPlanes * Pitch;
            OutLength = Math.Max((long)FilterRows * Round(Columns, NR), (long)ChannelRows * Round(ColumnsQ, NR));
            // 16 floats of room before dy and the outputs to align them (see Run).
            Slot = XLength + DyLength + OutLength + 32;
            PackedW = 0;
            PackedFlipped = PackedW + (long)FilterRows * g.PatchLength;
            Offsets = PackedFlipped + (long)ChannelRows * FlippedPatch;
            FlippedOffsets = Offsets + Patch3;
            SlotsStart = FlippedOffsets + FlippedPatch;
            PartialsStart = SlotsStart + Math.Min(workers, Groups(g)) * Slot;
        }

        public int Groups(ConvolutionGeometry g) => (g.Batch + Images - 1) / Images;

        public long Length(ConvolutionGeometry g) => PartialsStart + Groups(g) * PartialLength(g);
    }

    /// <summary>The first p + i (0 ≤ i &lt; 16) for which p + i + shift is 64-byte aligned.</summary>
    private static unsafe float* Align(float* p, int shift) => p + (16 - (int)((nint)(p + shift) & 63) / 4) % 16;

    private static int Round(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    /// <summary>y = conv(x) + b, or max(0, conv(x) + b) with <paramref name="relu"/>.</summary>
    private void DirectForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> b,
        BufferView<float> y, BufferView<float> workspace, bool relu)
    {
        var layout = new DirectLayout(g, Tier, Pool.Workers);
        PrepareDirect(g, layout, w, workspace, backward: false, withDx: false);
        Pool.For(layout.Groups(g), new DirectJob(g, layout, false, relu, x, w, b, y, default, default, default, workspace));
    }

    /// <summary>The gradients for dy; with a non-empty <paramref name="reluOutput"/>, dy is first masked by reluOutput &gt; 0.</summary>
    private void DirectBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> dy,
        BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace, BufferView<float> reluOutput)
    {
        var layout = new DirectLayout(g, Tier, Pool.Workers);
        PrepareDirect(g, layout, w, workspace, backward: true, withDx: dx.Length != 0);
        var groups = layout.Groups(g);
        Pool.For(groups, new DirectJob(g, layout, true, reluOutput.Length != 0, x, w, dy, reluOutput, dx, dw, db, workspace));
        SumPartials(Tier, g, workspace, layout.PartialsStart, groups, dw, db);
    }

    /// <summary>
    /// Writes what the kernels read besides the images: x's offset table (both passes) and, for the forward pass, the
    /// filters in MR-row panels ([K][MR] each, rows past F zero); for the backward pass with dx, the flipped filters
    /// w'[c, (f, a, b)] = w[f, c, KH−1−a, KW−1−b] in panels the same way and dy's offset table.
    /// </summary>
    private static unsafe void PrepareDirect(ConvolutionGeometry g, DirectLayout layout, BufferView<float> w, BufferView<float> workspace,
        bool backward, bool withDx)
    {
        var ws = workspace.Span();
        var ww = w.Span();
        int k = g.PatchLength, kk = g.KernelH * g.KernelW, mr = layout.MR;
        fixed (float* pws = ws)
        {
            // Entry p = (channel, kh, kw) of a patch starts at channel·pitch + kh·Width + kw; entries past `valid`
            // (dw's padding to a multiple of 3) read offset 0 and are never stored.
            void Offsets(int* table, int count, int valid)
            {
                for (var p = 0; p < count; p++) table[p] = p < valid ? p / kk * layout.Pitch + p % kk / g.KernelW * layout.Width + p % g.KernelW : 0;
            }
            Offsets((int*)(pws + layout.Offsets), layout.Patch3, k);
            if (backward && withDx) Offsets((int*)(pws + layout.FlippedOffsets), layout.FlippedPatch, layout.FlippedPatch);
        }
        if (!backward)
        {
            var packed = ws.Slice((int)layout.PackedW, layout.FilterRows * k);
            for (var f = 0; f < layout.FilterRows; f++)
            {
                // Filter f is lane f % mr of panel f / mr: one float every mr.
                var to = packed.Slice(f / mr * k * mr + f % mr);
                var from = f < g.Filters ? ww.Slice(f * k, k) : default;
                for (var p = 0; p < k; p++) to[p * mr] = from.IsEmpty ? 0f : from[p];
            }
        }
        else if (withDx)
        {
            var packedFlipped = ws.Slice((int)layout.PackedFlipped, layout.ChannelRows * layout.FlippedPatch);
            for (var c = 0; c < layout.ChannelRows; c++)
            {
                for (var p = 0; p < layout.FlippedPatch; p++)
                {
                    var (f, a, bw) = (p / kk, p % kk / g.KernelW, p % g.KernelW);
                    packedFlipped[(c / mr * layout.FlippedPatch + p) * mr + c % mr] =
                        c < g.Channels ? ww[f * k + c * kk + (g.KernelH - 1 - a) * g.KernelW + g.KernelW - 1 - bw] : 0f;
                }
            }
        }
    }

    private readonly struct DirectJob : WorkerPool.IWork
    {
        private readonly ConvolutionGeometry _g;
        private readonly DirectLayout _layout;
        private readonly bool _backward, _relu;
        private readonly BufferView<float> _x, _w, _bOrDy, _y, _dx, _dw, _db, _workspace;

        // Forward writes y; backward reads y as the ReLU's output when relu is set.
        public DirectJob(ConvolutionGeometry g, DirectLayout layout, bool backward, bool relu, BufferView<float> x, BufferView<float> w,
            BufferView<float> bOrDy, BufferView<float> y, BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
        {
            (_g, _layout, _backward, _relu) = (g, layout, backward, relu);
            (_x, _w, _bOrDy, _y, _dx, _dw, _db, _workspace) = (x, w, bOrDy, y, dx, dw, db, workspace);
        }

        public unsafe void Run(int index, int worker)
        {
            var first = index * _layout.Images;
            var count = Math.Min(_layout.Images, _g.Batch - first);
            var down = (count + _layout.Across - 1) / _layout.Across;
            var groups = _layout.Groups(_g);
            fixed (float* px = _x.Span(), pb = _bOrDy.Span(), pws = _workspace.Array(), py = _y.Span(), pdx = _dx.Span())
            {
                var ws = pws + _workspace.Offset;
                var xp = ws + _layout.SlotsStart + (groups <= Pool.Workers ? index : worker) * _layout.Slot;
                int qh = _g.KernelH - 1 - _g.Pad, qw = _g.KernelW - 1 - _g.Pad;
                // dy's rows are read at the shift below by the dw kernel, the outputs written whole: 64-byte aligned,
                // so those loads and stores each touch one cache line.
                var dyp = Align(xp + _layout.XLength, qh * _layout.Width + qw);
                var outs = Align(dyp + _layout.DyLength, 0);
                var image = _g.Channels * _g.Height * _g.Width;
                var plane = _g.Filters * _g.OutH * _g.OutW;
                Pad(_layout, px + (long)first * image, null, count, _g.Channels, _g.Channels, _g.Height, _g.Width, _g.Pad, _g.Pad, xp);
                var offsets = (int*)(ws + _layout.Offsets);
                var columns = ((down - 1) * _layout.CellH + _g.OutH) * _layout.Width;
                if (!_backward)
                {
                    Convolve(_layout, ws + _layout.PackedW, _layout.FilterRows, _g.PatchLength, xp, offsets, columns, outs);
                    Unpad(_layout, outs, Round(columns, _layout.NR), count, _g.Filters, _g.OutH, _g.OutW, pb, _relu, py + (long)first * plane);
                    return;
                }
                // dy on the same canvas with borders KH−1−P and KW−1−P: shifted by them it is also dy in x's virtual
                // columns (zero wherever a column is not an output pixel), which is what dw needs.
                Pad(_layout, pb + (long)first * plane, _relu ? py + (long)first * plane : null, count, _g.Filters, _layout.DyPlanes, _g.OutH, _g.OutW, qh, qw, dyp);
                var dwPart = ws + _layout.PartialsStart + index * PartialLength(_g);
                WeightGradient(_g, _layout, dyp + qh * _layout.Width + qw, xp, offsets, Round(columns, 16), dwPart);
                if (pdx == null) return;
                var columnsQ = ((down - 1) * _layout.CellH + _g.Height) * _layout.Width;
                Convolve(_layout, ws + _layout.PackedFlipped, _layout.ChannelRows, _layout.FlippedPatch, dyp, (int*)(ws + _layout.FlippedOffsets), columnsQ, outs);
                Unpad(_layout, outs, Round(columnsQ, _layout.NR), count, _g.Channels, _g.Height, _g.Width, null, false, pdx + (long)first * image);
            }
        }
    }

    /// <summary>
    /// Lays <paramref name="count"/> images [C, height, width] out on the group's canvas: image i in cell
    /// (i / Across, i % Across), after <paramref name="top"/> rows and <paramref name="left"/> columns of zeros
    /// (cells are height + top by width + left), zeros everywhere else, for <paramref name="planes"/> channel
    /// pitches; where <paramref name="mask"/> (same layout as src) is not above zero, the image's value becomes
    /// zero too. One pass: each float of the canvas is written once.
    /// </summary>
    private static unsafe void Pad(DirectLayout layout, float* src, float* mask, int count, int channels, int planes, int height, int width,
        int top, int left, float* dst)
    {
        int across = layout.Across, cellW = layout.CellW, rowWidth = layout.Width;
        for (var c = 0; c < planes; c++)
        {
            var row = dst + (long)c * layout.Pitch;
            var end = row + layout.Pitch;
            if (c >= channels)
            {
                new Span<float>(row, layout.Pitch).Clear();
                continue;
            }
            new Span<float>(row, top * rowWidth).Clear();
            row += top * rowWidth;
            for (var down = 0; down < layout.Down; down++)
            {
                for (var r = 0; r < layout.CellH; r++, row += rowWidth)
                {
                    if (r >= height)
                    {
                        new Span<float>(row, rowWidth).Clear();
                        continue;
                    }
                    for (var a = 0; a < across; a++)
                    {
                        var cell = row + a * cellW;
                        var i = down * across + a;
                        for (var t = 0; t < left; t++) cell[t] = 0f;
                        var at = (((long)i * channels + c) * height + r) * width;
                        if (i >= count) new Span<float>(cell + left, width).Clear();
                        else if (mask == null) CopyRow(layout.Tier, src + at, cell + left, width);
                        else TierLoop.WherePositive(layout.Tier, new ReadOnlySpan<float>(mask + at, width), new ReadOnlySpan<float>(src + at, width), new Span<float>(cell + left, width));
                    }
                }
            }
            new Span<float>(row, (int)(end - row)).Clear();
        }
    }

    /// <summary>
    /// Takes each image's height × width outputs out of the virtual columns (rows of outs ld apart), adding a bias per
    /// row when given and applying the ReLU when asked.
    /// </summary>
    private static unsafe void Unpad(DirectLayout layout, float* outs, int ld, int count, int rows, int height, int width, float* bias, bool relu,
        float* dst)
    {
        for (var i = 0; i < count; i++)
        {
            var corner = (long)(i / layout.Across) * layout.CellH * layout.Width + i % layout.Across * layout.CellW;
            for (var f = 0; f < rows; f++)
            {
                var from = outs + (long)f * ld + corner;
                var to = dst + ((long)i * rows + f) * height * width;
                var add = bias == null ? 0f : bias[f];
                var tier = layout.Tier;
                if (tier >= CpuTier.Vector512 && width >= 16) UnpadPlane<Vector512<float>, Lanes512>(from, layout.Width, to, height, width, add, relu);
                else if (tier >= CpuTier.Vector256 && width >= 8) UnpadPlane<Vector256<float>, Lanes256>(from, layout.Width, to, height, width, add, relu);
                else if (tier >= CpuTier.Vector128 && width >= 4) UnpadPlane<Vector128<float>, Lanes128>(from, layout.Width, to, height, width, add, relu);
                else UnpadPlane<float, Lanes1>(from, layout.Width, to, height, width, add, relu);
            }
        }
    }

    // One plane's rows (stride apart in the virtual columns) to height × width floats, plus add, then the ReLU if asked.
    // The last vector of a row starts at width − Count, overlapping the one before: each element is computed alike
    // either time, and a row costs no calls (a 24-wide row through the element-wise loops cost three).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UnpadPlane<TV, TL>(float* from, int stride, float* to, int height, int width, float add, bool relu)
        where TV : struct where TL : struct, ILanes<TV>
    {
        var w = TL.Count;
        var shift = TL.Broadcast(add);
        var zero = TL.Broadcast(0f);
        for (var r = 0; r < height; r++, from += stride, to += width)
        {
            for (var j = 0; ; j += w)
            {
                var at = Math.Min(j, width - w);
                var v = TL.Add(TL.Load(from + at), shift);
                TL.Store(relu ? TL.Max(v, zero) : v, to + at);
                if (at == width - w) break;
            }
        }
    }

    /// <summary>out[m, j] = Σ_p a[m, p]·src[off[p] + j] for j below <paramref name="columns"/> (rounded up to NR), m below the MR-rounded rows.</summary>
    private static unsafe void Convolve(DirectLayout layout, float* packed, int rows, int k, float* src, int* offsets, int columns, float* outs)
    {
        const int KC = 256;
        int mr = layout.MR, nr = layout.NR;
        var ld = Round(columns, nr);
        for (var p0 = 0; p0 < k; p0 += KC)
        {
            var kc = Math.Min(KC, k - p0);
            for (var j0 = 0; j0 < columns; j0 += nr)
            {
                for (var m0 = 0; m0 < rows; m0 += mr)
                {
                    var a = packed + ((long)m0 * k + (long)p0 * mr);
                    var c = outs + (long)m0 * ld + j0;
                    var rowsOfB = new OffsetRows(src + j0, offsets + p0);
                    var beta = p0 > 0 ? 1f : 0f;
                    if (nr == 32) Sgemm.Kernel512(kc, a, rowsOfB, c, ld, 1f, beta);
                    else if (nr == 16) Sgemm.Kernel256(kc, a, rowsOfB, c, ld, 1f, beta);
                    else Sgemm.Kernel128(kc, a, rowsOfB, c, ld, 1f, beta);
                }
            }
        }
    }

    /// <summary>The group's dw[f, k] = Σ_j dy[f, j]·xp[off(k) + j] and db[f] = Σ_j dy[f, j] (dy is zero where j is padding).</summary>
    private static unsafe void WeightGradient(ConvolutionGeometry g, DirectLayout layout, float* dy, float* xp, int* offsets, int length, float* dwPart)
    {
        var ld = layout.Pitch;
        var k = g.PatchLength;
        var rows = layout.DotRows;
        var sums = stackalloc float[24];
        for (var f0 = 0; f0 < layout.DyPlanes; f0 += rows)
        {
            var dyRows = dy + (long)f0 * ld;
            for (var p0 = 0; p0 < layout.Patch3; p0 += 3)
            {
                float* x0 = xp + offsets[p0], x1 = xp + offsets[p0 + 1], x2 = xp + offsets[p0 + 2];
                if (rows == 8) DirectConvolutionDotKernels.Dot(length, dyRows, ld, x0, x1, x2, sums);
                else if (layout.NR == 16) DirectConvolutionDotKernels.Dot256(length, dyRows, ld, x0, x1, x2, sums);
                else DirectConvolutionDotKernels.Dot128(length, dyRows, ld, x0, x1, x2, sums);
                for (var r = 0; r < rows && f0 + r < g.Filters; r++)
                {
                    for (var t = 0; t < 3 && p0 + t < k; t++) dwPart[(f0 + r) * k + p0 + t] = sums[r * 3 + t];
                }
            }
        }
        var dbPart = dwPart + g.WeightLength;
        for (var f = 0; f < g.Filters; f++) dbPart[f] = TierLoop.Sum(layout.Tier, new ReadOnlySpan<float>(dy + (long)f * ld, length));
    }
}
