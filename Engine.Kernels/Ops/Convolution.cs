// Convolution by im2col + GEMM (the book's method), over the whole batch at once:
//   col [P, N·OHW], P = C·KH·KW, col[(c·KH + kh)·KW + kw, n·OHW + oh·OW + ow] = x[n, c, oh·S − pad + kh, ow·S − pad + kw]
//   (0 in the padding). Forward: tmp [F, N·OHW] = W [F, P] · col; y[n, f, o] = tmp[f, n·OHW + o] + b[f].
//   Backward: dyT [F, N·OHW] = dy permuted; dW = dyT · colᵀ; db = per-channel sum of dy;
//   dcol = Wᵀ · dyT; dx = col2im(dcol).
// Kernels (one thread per output element, implicitly grouped):
//   Im2Col (extent P·N·OHW), ToNchw (extent N·F·OHW: y = tmp permuted, plus bias), FromNchw (extent
//   N·F·OHW: dyT = dy permuted), Col2Im (extent N·C·H·W: a gather over the (kh, kw) taps that hit the
//   pixel, so overlapping windows add up in a fixed order with no atomics).
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Geometry of a convolution (input [N, C, H, W], filters [F, C, KH, KW]).</summary>
public struct ConvShape
{
    public int N, C, H, W, F, KH, KW, Stride, Pad, OH, OW;
}

public static class ConvolutionKernels
{
    public static void Im2Col(Index1D index, ConvShape s, ArrayView<float> x, ArrayView<float> col)
    {
        int k = index;
        var ohw = s.OH * s.OW;
        var columns = s.N * ohw;
        var p = k / columns;
        var q = k - p * columns;
        var kw = p % s.KW;
        var kh = (p / s.KW) % s.KH;
        var c = p / (s.KW * s.KH);
        var n = q / ohw;
        var o = q - n * ohw;
        var oh = o / s.OW;
        var ow = o - oh * s.OW;
        var h = oh * s.Stride - s.Pad + kh;
        var w = ow * s.Stride - s.Pad + kw;
        col[k] = h >= 0 && h < s.H && w >= 0 && w < s.W ? x[((n * s.C + c) * s.H + h) * s.W + w] : 0f;
    }

    public static void ToNchw(Index1D index, ConvShape s, ArrayView<float> tmp, ArrayView<float> bias, ArrayView<float> y)
    {
        int k = index;
        var ohw = s.OH * s.OW;
        var o = k % ohw;
        var f = (k / ohw) % s.F;
        var n = k / (ohw * s.F);
        y[k] = tmp[f * s.N * ohw + n * ohw + o] + bias[f];
    }

    public static void FromNchw(Index1D index, ConvShape s, ArrayView<float> dy, ArrayView<float> dyT)
    {
        int k = index;
        var ohw = s.OH * s.OW;
        var o = k % ohw;
        var f = (k / ohw) % s.F;
        var n = k / (ohw * s.F);
        dyT[f * s.N * ohw + n * ohw + o] = dy[k];
    }

    public static void Col2Im(Index1D index, ConvShape s, ArrayView<float> col, ArrayView<float> dx)
    {
        int k = index;
        var w = k % s.W;
        var h = (k / s.W) % s.H;
        var c = (k / (s.W * s.H)) % s.C;
        var n = k / (s.W * s.H * s.C);
        var ohw = s.OH * s.OW;
        var columns = s.N * ohw;
        var sum = 0f;
        for (var kh = 0; kh < s.KH; kh++)
        {
            var th = h + s.Pad - kh;
            if (th < 0 || th % s.Stride != 0) continue;
            var oh = th / s.Stride;
            if (oh >= s.OH) continue;
            for (var kw = 0; kw < s.KW; kw++)
            {
                var tw = w + s.Pad - kw;
                if (tw < 0 || tw % s.Stride != 0) continue;
                var ow = tw / s.Stride;
                if (ow >= s.OW) continue;
                var p = (c * s.KH + kh) * s.KW + kw;
                sum += col[p * columns + n * ohw + oh * s.OW + ow];
            }
        }
        dx[k] = sum;
    }
}
