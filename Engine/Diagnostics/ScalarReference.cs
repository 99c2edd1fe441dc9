using DeepGpu.Backends;
using DeepGpu.Kernels;

namespace DeepGpu.Diagnostics;

/// <summary>
/// Plain scalar references for every backend op: simple loops with double accumulation, written from the
/// contract in Backend.cs (not from any backend). Arrays are row-major; images NCHW.
/// </summary>
public static class ScalarReference
{
    public static float[] Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c)
    {
        var result = (float[])c.Clone();
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? a[p * m + i] : a[i * k + p];
                    var bv = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += (double)av * bv;
                }
                var idx = i * n + j;
                result[idx] = beta == 0f ? (float)(alpha * sum) : (float)(alpha * sum + (double)beta * c[idx]);
            }
        }
        return result;
    }

    public static float[] AddBias(float[] x, float[] bias, int rows, int cols)
    {
        var y = (float[])x.Clone();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++) y[r * cols + c] += bias[c];
        }
        return y;
    }

    public static float[] BiasGradient(float[] dy, int rows, int cols)
    {
        var db = new float[cols];
        for (var c = 0; c < cols; c++)
        {
            var sum = 0.0;
            for (var r = 0; r < rows; r++) sum += dy[r * cols + c];
            db[c] = (float)sum;
        }
        return db;
    }

    /// <summary>y = act(x·W + b): the fused affine layer, <paramref name="activation"/> null for none.</summary>
    public static float[] AffineForward(AffineGeometry g, Activation? activation, float[] x, float[] w, float[] b)
    {
        var z = AddBias(Gemm(false, false, g.Rows, g.Outputs, g.Inputs, 1f, x, w, 0f, new float[g.Rows * g.Outputs]), b, g.Rows, g.Outputs);
        return activation is { } kind ? ActivationForward(kind, z) : z;
    }

    /// <summary>dz = dy·act'(y); dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz.</summary>
    public static (float[] Dx, float[] Dw, float[] Db) AffineBackward(AffineGeometry g, Activation? activation, float[] x, float[] w, float[] y, float[] dy)
    {
        var dz = activation is { } kind ? ActivationBackward(kind, y, dy) : dy;
        return (Gemm(false, true, g.Rows, g.Inputs, g.Outputs, 1f, dz, w, 0f, new float[g.Rows * g.Inputs]),
            Gemm(true, false, g.Inputs, g.Outputs, g.Rows, 1f, x, dz, 0f, new float[g.Inputs * g.Outputs]),
            BiasGradient(dz, g.Rows, g.Outputs));
    }

    public static float[] ActivationForward(Activation kind, float[] x) => Array.ConvertAll(x, v => kind switch
    {
        Activation.Relu => v > 0 ? v : 0f,
        Activation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-v))),
        Activation.Tanh => (float)Math.Tanh(v),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    });

    public static float[] ActivationBackward(Activation kind, float[] y, float[] dy)
    {
        var dx = new float[y.Length];
        for (var i = 0; i < y.Length; i++)
        {
            double yv = y[i];
            dx[i] = kind switch
            {
                Activation.Relu => yv > 0 ? dy[i] : 0f,
                Activation.Sigmoid => (float)(dy[i] * yv * (1 - yv)),
                Activation.Tanh => (float)(dy[i] * (1 - yv * yv)),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }
        return dx;
    }

    public static float[] Softmax(float[] x, int rows, int cols)
    {
        var y = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            var max = double.NegativeInfinity;
            for (var c = 0; c < cols; c++) max = Math.Max(max, x[r * cols + c]);
            var sum = 0.0;
            for (var c = 0; c < cols; c++) sum += Math.Exp(x[r * cols + c] - max);
            for (var c = 0; c < cols; c++) y[r * cols + c] = (float)(Math.Exp(x[r * cols + c] - max) / sum);
        }
        return y;
    }

    /// <summary>Probabilities and the batch-mean loss Σ −log(p[label] + 1e-7) / rows.</summary>
    public static (float[] Probabilities, double Loss) SoftmaxCrossEntropy(float[] logits, int[] labels, int rows, int cols)
    {
        var p = Softmax(logits, rows, cols);
        var loss = 0.0;
        for (var r = 0; r < rows; r++) loss -= Math.Log(p[r * cols + labels[r]] + 1e-7);
        return (p, loss / rows);
    }

    public static float[] SoftmaxCrossEntropyBackward(float[] p, int[] labels, int rows, int cols)
    {
        var d = new float[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++) d[r * cols + c] = (float)((p[r * cols + c] - (c == labels[r] ? 1.0 : 0.0)) / rows);
        }
        return d;
    }

    public static double SumSquaredError(float[] y, float[] t, int rows, int cols)
    {
        var sum = 0.0;
        for (var i = 0; i < rows * cols; i++) sum += ((double)y[i] - t[i]) * ((double)y[i] - t[i]);
        return 0.5 * sum / rows;
    }

    public static float[] SumSquaredErrorBackward(float[] y, float[] t, int rows, int cols)
    {
        var d = new float[rows * cols];
        for (var i = 0; i < d.Length; i++) d[i] = (float)(((double)y[i] - t[i]) / rows);
        return d;
    }

    public static float[] OneHot(int[] labels, int rows, int cols)
    {
        var t = new float[rows * cols];
        for (var r = 0; r < rows; r++) t[r * cols + labels[r]] = 1f;
        return t;
    }

    public static int CountCorrect(float[] scores, int[] labels, int rows, int cols)
    {
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            var best = 0;
            for (var c = 1; c < cols; c++)
            {
                if (scores[r * cols + c] > scores[r * cols + best]) best = c;
            }
            if (best == labels[r]) correct++;
        }
        return correct;
    }

    public static double SumOfSquares(float[] x)
    {
        var sum = 0.0;
        foreach (var v in x) sum += (double)v * v;
        return sum;
    }

    public static (float[] X, int[] Y) GatherBatch(byte[] images, byte[] labels, int[] order, int start, int count, int sampleLength, float scale)
    {
        var x = new float[count * sampleLength];
        var y = new int[count];
        for (var i = 0; i < count; i++)
        {
            var s = order[start + i];
            for (var j = 0; j < sampleLength; j++) x[i * sampleLength + j] = images[s * sampleLength + j] * scale;
            y[i] = labels[s];
        }
        return (x, y);
    }

    /// <summary>
    /// The augmentation transform of image n: z = CounterRng.Next(seed, counter·N + n) split into four 16-bit
    /// uniforms u_k = ((z &gt;&gt; 16k) &amp; 0xFFFF)/65536; shift ((2u0 − 1), (2u1 − 1))·MaxShift, angle (2u2 − 1)·MaxRotation
    /// degrees, scale 1 + (2u3 − 1)·MaxScale.
    /// </summary>
    public static (double Tx, double Ty, double Theta, double Scale) AugmentTransform(AugmentOptions o, ulong seed, ulong counter, int batch, int n)
    {
        var z = CounterRng.Next(seed, counter * (ulong)batch + (ulong)n);
        double U(int k) => ((z >> (16 * k)) & 0xFFFF) / 65536.0;
        return ((2 * U(0) - 1) * o.MaxShift, (2 * U(1) - 1) * o.MaxShift, (2 * U(2) - 1) * o.MaxRotationDegrees * Math.PI / 180,
            1 + (2 * U(3) - 1) * o.MaxScale);
    }

    /// <summary>
    /// Output pixel (x, y) samples the input at R(−θ)·((x, y) − centre − shift)/scale + centre, centre = ((W − 1)/2, (H − 1)/2),
    /// bilinearly, zero outside the image.
    /// </summary>
    public static float[] Augment(float[] x, int batch, int channels, int height, int width, AugmentOptions o, ulong seed, ulong counter)
    {
        var y = new float[x.Length];
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
        for (var n = 0; n < batch; n++)
        {
            var (tx, ty, theta, scale) = AugmentTransform(o, seed, counter, batch, n);
            double cos = Math.Cos(theta), sin = Math.Sin(theta);
            for (var c = 0; c < channels; c++)
            {
                var plane = (n * channels + c) * height * width;
                for (var py = 0; py < height; py++)
                {
                    for (var px = 0; px < width; px++)
                    {
                        double dx = px - cx - tx, dy = py - cy - ty;
                        var sx = (cos * dx + sin * dy) / scale + cx;
                        var sy = (-sin * dx + cos * dy) / scale + cy;
                        int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                        double fx = sx - x0, fy = sy - y0;
                        double At(int r, int q) => r >= 0 && r < height && q >= 0 && q < width ? x[plane + r * width + q] : 0.0;
                        y[plane + py * width + px] = (float)((1 - fy) * ((1 - fx) * At(y0, x0) + fx * At(y0, x0 + 1)) +
                            fy * ((1 - fx) * At(y0 + 1, x0) + fx * At(y0 + 1, x0 + 1)));
                    }
                }
            }
        }
        return y;
    }

    /// <summary>One update step in place on p and the two states (double arithmetic on float state).</summary>
    public static void ApplyUpdate(UpdateRule rule, UpdateHyper h, float[] p, float[] g, float[] firstState, float[] secondState)
    {
        double lr = h.LearningRate, d = h.FirstStateDecay, d2 = h.SecondStateDecay, eps = h.Epsilon;
        for (var i = 0; i < p.Length; i++)
        {
            double gi = g[i];
            switch (rule)
            {
                case UpdateRule.Sgd:
                    p[i] = (float)(p[i] - lr * gi);
                    break;
                case UpdateRule.Momentum:
                    firstState[i] = (float)(d * firstState[i] - lr * gi);
                    p[i] = (float)(p[i] + (double)firstState[i]);
                    break;
                case UpdateRule.Nesterov:
                    firstState[i] = (float)(d * firstState[i] - lr * gi);
                    p[i] = (float)(p[i] + d * d * firstState[i] - (1 + d) * lr * gi);
                    break;
                case UpdateRule.AdaGrad:
                    firstState[i] = (float)(firstState[i] + gi * gi);
                    p[i] = (float)(p[i] - lr * gi / (Math.Sqrt(firstState[i]) + eps));
                    break;
                case UpdateRule.RmsProp:
                    firstState[i] = (float)(d * firstState[i] + (1 - d) * gi * gi);
                    p[i] = (float)(p[i] - lr * gi / (Math.Sqrt(firstState[i]) + eps));
                    break;
                case UpdateRule.Adam:
                    firstState[i] = (float)(firstState[i] + (1 - d) * (gi - firstState[i]));
                    secondState[i] = (float)(secondState[i] + (1 - d2) * (gi * gi - secondState[i]));
                    p[i] = (float)(p[i] - lr * firstState[i] / (Math.Sqrt(secondState[i]) + eps));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rule));
            }
        }
    }

    private static double Input(float[] x, ConvolutionGeometry g, int n, int c, int h, int w) =>
        h >= 0 && h < g.Height && w >= 0 && w < g.Width ? x[((n * g.Channels + c) * g.Height + h) * g.Width + w] : 0.0;

    /// <summary>y[n, f, oh, ow] = b[f] + Σ_{c,kh,kw} w[f, c, kh, kw]·x[n, c, oh·S − P + kh, ow·S − P + kw] (cross-correlation).</summary>
    public static float[] ConvolutionForward(ConvolutionGeometry g, float[] x, float[] w, float[] b)
    {
        var y = new float[g.OutputLength];
        for (var n = 0; n < g.Batch; n++)
        for (var f = 0; f < g.Filters; f++)
        for (var oh = 0; oh < g.OutH; oh++)
        for (var ow = 0; ow < g.OutW; ow++)
        {
            double sum = b[f];
            for (var c = 0; c < g.Channels; c++)
            for (var kh = 0; kh < g.KernelH; kh++)
            for (var kw = 0; kw < g.KernelW; kw++)
            {
                sum += w[((f * g.Channels + c) * g.KernelH + kh) * g.KernelW + kw] *
                    Input(x, g, n, c, oh * g.Stride - g.Pad + kh, ow * g.Stride - g.Pad + kw);
            }
            y[((n * g.Filters + f) * g.OutH + oh) * g.OutW + ow] = (float)sum;
        }
        return y;
    }

    /// <summary>dx, dw and db of the convolution by scattering dy through the same index map.</summary>
    public static (float[] Dx, float[] Dw, float[] Db) ConvolutionBackward(ConvolutionGeometry g, float[] x, float[] w, float[] dy)
    {
        var dx = new double[g.InputLength];
        var dw = new double[g.WeightLength];
        var db = new double[g.Filters];
        for (var n = 0; n < g.Batch; n++)
        for (var f = 0; f < g.Filters; f++)
        for (var oh = 0; oh < g.OutH; oh++)
        for (var ow = 0; ow < g.OutW; ow++)
        {
            double d = dy[((n * g.Filters + f) * g.OutH + oh) * g.OutW + ow];
            db[f] += d;
            for (var c = 0; c < g.Channels; c++)
            for (var kh = 0; kh < g.KernelH; kh++)
            for (var kw = 0; kw < g.KernelW; kw++)
            {
                int h = oh * g.Stride - g.Pad + kh, ww = ow * g.Stride - g.Pad + kw;
                var wi = ((f * g.Channels + c) * g.KernelH + kh) * g.KernelW + kw;
                dw[wi] += d * Input(x, g, n, c, h, ww);
                if (h >= 0 && h < g.Height && ww >= 0 && ww < g.Width) dx[((n * g.Channels + c) * g.Height + h) * g.Width + ww] += d * w[wi];
            }
        }
        return (ToFloat(dx), ToFloat(dw), ToFloat(db));
    }

    /// <summary>Pooling forward: max over in-image cells (first maximum wins; argmax is its flat index) or the window average.</summary>
    public static (float[] Y, int[] Argmax) PoolingForward(PoolingMode mode, PoolingGeometry g, float[] x)
    {
        var y = new float[g.OutputLength];
        var arg = new int[g.OutputLength];
        for (var plane = 0; plane < g.Batch * g.Channels; plane++)
        for (var oh = 0; oh < g.OutH; oh++)
        for (var ow = 0; ow < g.OutW; ow++)
        {
            var o = (plane * g.OutH + oh) * g.OutW + ow;
            var best = double.NegativeInfinity;
            var bestIndex = -1;
            var sum = 0.0;
            for (var i = 0; i < g.Size; i++)
            for (var j = 0; j < g.Size; j++)
            {
                int h = oh * g.Stride - g.Pad + i, w = ow * g.Stride - g.Pad + j;
                if (h < 0 || h >= g.Height || w < 0 || w >= g.Width) continue;
                var idx = (plane * g.Height + h) * g.Width + w;
                sum += x[idx];
                if (bestIndex < 0 || x[idx] > best)
                {
                    best = x[idx];
                    bestIndex = idx;
                }
            }
            y[o] = mode == PoolingMode.Max ? (float)best : (float)(sum / (g.Size * g.Size));
            arg[o] = bestIndex;
        }
        return (y, arg);
    }

    public static float[] PoolingBackward(PoolingMode mode, PoolingGeometry g, float[] dy, int[] argmax)
    {
        var dx = new double[g.InputLength];
        for (var plane = 0; plane < g.Batch * g.Channels; plane++)
        for (var oh = 0; oh < g.OutH; oh++)
        for (var ow = 0; ow < g.OutW; ow++)
        {
            var o = (plane * g.OutH + oh) * g.OutW + ow;
            if (mode == PoolingMode.Max)
            {
                dx[argmax[o]] += dy[o];
                continue;
            }
            for (var i = 0; i < g.Size; i++)
            for (var j = 0; j < g.Size; j++)
            {
                int h = oh * g.Stride - g.Pad + i, w = ow * g.Stride - g.Pad + j;
                if (h >= 0 && h < g.Height && w >= 0 && w < g.Width) dx[(plane * g.Height + h) * g.Width + w] += dy[o] / (g.Size * g.Size);
            }
        }
        return ToFloat(dx);
    }

    public sealed record BatchNormResult(float[] Y, float[] Mean, float[] InvStd, float[] RunningMean, float[] RunningVar);

    public static BatchNormResult BatchNormForward(NormalizationGeometry g, bool training, float momentum, float eps, float[] x, float[] gamma,
        float[] beta, float[] runningMean, float[] runningVar)
    {
        var y = new float[g.Length];
        var mean = new float[g.Channels];
        var invStd = new float[g.Channels];
        var rm = (float[])runningMean.Clone();
        var rv = (float[])runningVar.Clone();
        var count = g.Batch * g.Spatial;
        for (var c = 0; c < g.Channels; c++)
        {
            double mu, variance;
            if (training)
            {
                var sum = 0.0;
                foreach (var i in ChannelIndices(g, c)) sum += x[i];
                mu = sum / count;
                var sq = 0.0;
                foreach (var i in ChannelIndices(g, c)) sq += (x[i] - mu) * (x[i] - mu);
                variance = sq / count;
                mean[c] = (float)mu;
                invStd[c] = (float)(1 / Math.Sqrt(variance + eps));
                rm[c] = (float)(momentum * runningMean[c] + (1 - (double)momentum) * mu);
                rv[c] = (float)(momentum * runningVar[c] + (1 - (double)momentum) * variance);
            }
            else
            {
                mu = runningMean[c];
                variance = runningVar[c];
            }
            var inv = 1 / Math.Sqrt(variance + eps);
            foreach (var i in ChannelIndices(g, c)) y[i] = (float)(gamma[c] * (x[i] - mu) * inv + beta[c]);
        }
        return new BatchNormResult(y, mean, invStd, rm, rv);
    }

    public static (float[] Dx, float[] Dgamma, float[] Dbeta) BatchNormBackward(NormalizationGeometry g, float[] x, float[] gamma, float[] dy,
        float[] mean, float[] invStd)
    {
        var dx = new float[g.Length];
        var dgamma = new float[g.Channels];
        var dbeta = new float[g.Channels];
        double m = g.Batch * g.Spatial;
        for (var c = 0; c < g.Channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            foreach (var i in ChannelIndices(g, c))
            {
                sumDy += dy[i];
                sumDyXhat += dy[i] * (x[i] - (double)mean[c]) * invStd[c];
            }
            dbeta[c] = (float)sumDy;
            dgamma[c] = (float)sumDyXhat;
            foreach (var i in ChannelIndices(g, c))
            {
                var xhat = (x[i] - (double)mean[c]) * invStd[c];
                dx[i] = (float)(gamma[c] * invStd[c] / m * (m * dy[i] - sumDy - xhat * sumDyXhat));
            }
        }
        return (dx, dgamma, dbeta);
    }

    private static IEnumerable<int> ChannelIndices(NormalizationGeometry g, int c)
    {
        for (var n = 0; n < g.Batch; n++)
        {
            for (var s = 0; s < g.Spatial; s++) yield return (n * g.Channels + c) * g.Spatial + s;
        }
    }

    /// <summary>Inverted dropout mask from CounterRng: 1/(1 − ratio) where Uniform(seed, counter + i) ≥ ratio, else 0.</summary>
    public static float[] DropoutMask(int length, float ratio, ulong seed, ulong counter)
    {
        var mask = new float[length];
        var keep = 1f / (1f - ratio);
        for (var i = 0; i < length; i++) mask[i] = CounterRng.Uniform(seed, counter + (ulong)i) >= ratio ? keep : 0f;
        return mask;
    }

    public static float[] RoundToHalf(float[] x) => Array.ConvertAll(x, v => (float)(Half)v);

    private static float[] ToFloat(double[] v) => Array.ConvertAll(v, d => (float)d);
}
