// Convolution as im2col + GEMM (the book's method) over the whole batch at once, with the im2col matrix never
// stored: col [P, N·OHW], P = C·KH·KW, col[(c·KH + kh)·KW + kw, n·OHW + oh·OW + ow] = x[n, c, oh·S − pad + kh, ow·S − pad + kw]
// (0 in the padding). The GEMM kernels read col straight from x and dy straight from NCHW (GemmForm):
//   Forward: y = W [F, P] · col, written NCHW with the bias (and ReLU).
//   Backward: dW = dy [F, N·OHW] · colᵀ with db summed alongside; dcol = Wᵀ · dy; dx = col2im(dcol).
// Col2Im (one thread per input element, implicitly grouped, extent N·C·H·W): a gather over the (kh, kw) taps
//   that hit the pixel, so overlapping windows add up in a fixed order with no atomics.
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Geometry of a convolution (input [N, C, H, W], filters [F, C, KH, KW]).</summary>
public struct ConvShape
{
    public int N, C, H, W, F, KH, KW, Stride, Pad, OH, OW;
}

public static class ConvolutionKernels
{
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
