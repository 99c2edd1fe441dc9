using DeepGpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeepGpu.Backends.Ilgpu;

// The ops: argument checks on the host, then one or a few queued launches. Zero-sized work launches nothing.
public sealed partial class IlgpuBackend
{
    public override void Fill(BufferView<float> x, float value)
    {
        if (x.Length > 0) fill(stream, x.Length, View(x), value);
    }

    public override void Copy(BufferView<float> source, BufferView<float> destination)
    {
        Require(source.Length == destination.Length, $"Copy of {source.Length} elements into {destination.Length}.");
        if (source.Length > 0) copy(stream, source.Length, View(source), View(destination));
    }

    public override void AddScaled(BufferView<float> x, float alpha, BufferView<float> y)
    {
        Require(x.Length == y.Length, $"AddScaled of {x.Length} elements into {y.Length}.");
        if (x.Length > 0) addScaled(stream, x.Length, View(x), alpha, View(y));
    }

    public override void SumOfSquares(BufferView<float> x, float scale, BufferView<float> accumulator)
    {
        if (x.Length == 0) return;
        var groups = Math.Min(Blocks(x.Length, group), tile == 4 ? 4 : 256);
        sumOfSquares(stream, new KernelConfig(groups, group), View(x), scale, View(accumulator));
    }

    public override void Multiply(BufferView<float> x, BufferView<float> mask, BufferView<float> y)
    {
        Require(x.Length == mask.Length && x.Length == y.Length, "Multiply needs x, mask and y of one length.");
        if (x.Length > 0) multiply(stream, x.Length, View(x), View(mask), View(y));
    }

    // ---- dense layers -------------------------------------------------------------------------------

    public override void Gemm(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        Require(m >= 0 && n >= 0 && k >= 0, $"Gemm sizes must not be negative ({m}, {n}, {k}).");
        Require(a.Length >= (long)m * k && b.Length >= (long)k * n && c.Length >= (long)m * n,
            $"Gemm [{m}x{k}]·[{k}x{n}] got views of {a.Length}, {b.Length} and {c.Length} elements.");
        if (m == 0 || n == 0) return;
        if (blas is not null && k > 0)
        {
            // cuBLAS is column-major: row-major C [m, n] is column-major Cᵀ, and Cᵀ = op(B)ᵀ·op(A)ᵀ.
            blas.Gemm(transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                n, m, k, alpha, View(b), transposeB ? k : n, View(a), transposeA ? m : k, beta, View(c), n);
            return;
        }
        var args = new GemmArgs { M = m, N = n, K = k, TransA = transposeA ? 1 : 0, TransB = transposeB ? 1 : 0, Alpha = alpha, Beta = beta };
        var blockTile = 4 * tile;
        var register = gemmMode == IlgpuGemm.Register ||
            (gemmMode == IlgpuGemm.Auto && accelerator.AcceleratorType == AcceleratorType.Cuda && m >= blockTile && n >= blockTile);
        if (register)
        {
            var config = new KernelConfig(new Index2D(Blocks(n, blockTile), Blocks(m, blockTile)), new Index2D(tile, tile));
            gemmRegister(stream, config, args, View(a), View(b), View(c));
        }
        else
        {
            var config = new KernelConfig(new Index2D(Blocks(n, tile), Blocks(m, tile)), new Index2D(tile, tile));
            gemmTiled(stream, config, args, View(a), View(b), View(c));
        }
    }

    public override void AddBias(BufferView<float> x, BufferView<float> bias, int rows, int cols)
    {
        Require(x.Length >= (long)rows * cols && bias.Length >= cols, "AddBias views are shorter than rows·cols and cols.");
        if (rows * cols > 0) addBias(stream, rows * cols, View(x), View(bias), cols);
    }

    public override void BiasGradient(BufferView<float> dy, BufferView<float> db, int rows, int cols)
    {
        Require(dy.Length >= (long)rows * cols && db.Length >= cols, "BiasGradient views are shorter than rows·cols and cols.");
        if (cols > 0) channelSum(stream, new KernelConfig(cols, group), new ChannelShape { Outer = rows, Channels = cols, Inner = 1 }, View(dy), View(db));
    }

    public override void ActivationForward(Activation kind, BufferView<float> x, BufferView<float> y)
    {
        Require(x.Length == y.Length, "Activation needs x and y of one length.");
        if (x.Length == 0) return;
        var launcher = kind switch
        {
            Activation.Relu => reluForward,
            Activation.Sigmoid => sigmoidForward,
            Activation.Tanh => tanhForward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        launcher(stream, x.Length, View(x), View(y));
    }

    public override void ActivationBackward(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx)
    {
        Require(y.Length == dy.Length && y.Length == dx.Length, "Activation backward needs y, dy and dx of one length.");
        if (y.Length == 0) return;
        var launcher = kind switch
        {
            Activation.Relu => reluBackward,
            Activation.Sigmoid => sigmoidBackward,
            Activation.Tanh => tanhBackward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        launcher(stream, y.Length, View(y), View(dy), View(dx));
    }

    // ---- softmax and losses ---------------------------------------------------------------------------

    public override void Softmax(BufferView<float> x, BufferView<float> y, int rows, int cols)
    {
        if (rows > 0 && cols > 0) softmax(stream, rows, View(x), View(y), cols);
    }

    public override void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels, BufferView<float> probabilities,
        BufferView<float> lossSum, int rows, int cols)
    {
        if (rows > 0 && cols > 0) softmaxCrossEntropy(stream, rows, View(logits), View(labels), View(probabilities), View(lossSum), rows, cols);
    }

    public override void SoftmaxCrossEntropyBackward(BufferView<float> probabilities, BufferView<int> labels, BufferView<float> dlogits, int rows, int cols)
    {
        if (rows * cols > 0) softmaxCrossEntropyBackward(stream, rows * cols, View(probabilities), View(labels), View(dlogits), rows, cols);
    }

    public override void SumSquaredError(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols)
    {
        if (rows > 0 && cols > 0) sumSquaredError(stream, rows, View(y), View(t), View(lossSum), rows, cols);
    }

    public override void SumSquaredErrorBackward(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols)
    {
        if (rows * cols > 0) sumSquaredErrorBackward(stream, rows * cols, View(y), View(t), View(dy), rows);
    }

    public override void OneHot(BufferView<int> labels, BufferView<float> t, int rows, int cols)
    {
        if (rows * cols > 0) oneHot(stream, rows * cols, View(labels), View(t), cols);
    }

    public override void CountCorrect(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols)
    {
        if (rows > 0 && cols > 0) countCorrect(stream, rows, View(scores), View(labels), View(counter), cols);
    }

    // ---- data ---------------------------------------------------------------------------------------

    public override void GatherBatch(BufferView<byte> images, BufferView<byte> labels, BufferView<int> order, int start, int count,
        int sampleLength, float scale, BufferView<float> x, BufferView<int> y)
    {
        Require(start >= 0 && start + count <= order.Length, $"GatherBatch rows [{start}, {start + count}) are outside an order of {order.Length}.");
        Require(x.Length >= (long)count * sampleLength && y.Length >= count, "GatherBatch outputs are shorter than the batch.");
        if (count * sampleLength == 0) return;
        var args = new GatherArgs { Start = start, SampleLength = sampleLength, Scale = scale };
        gatherBatch(stream, count * sampleLength, args, View(images), View(labels), View(order), View(x), View(y));
    }

    public override void Augment(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, ulong counter)
    {
        var n = batch * channels * height * width;
        Require(x.Length >= n && y.Length >= n, "Augment views are shorter than N·C·H·W.");
        if (n == 0) return;
        var args = new AugmentArgs
        {
            Batch = batch, Channels = channels, Height = height, Width = width,
            MaxShift = options.MaxShift, MaxRotationDegrees = options.MaxRotationDegrees, MaxScale = options.MaxScale,
            Seed = seed, Counter = counter,
        };
        augment(stream, n, args, View(x), View(y));
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    public override void ApplyUpdate(UpdateRule rule, UpdateHyper hyper, BufferView<float> p, BufferView<float> g,
        BufferView<float> s1, BufferView<float> s2)
    {
        Require(g.Length == p.Length, $"ApplyUpdate got {p.Length} parameters and {g.Length} gradients.");
        var n = p.Length;
        if (n == 0) return;
        var h = new UpdateArgs { LearningRate = hyper.LearningRate, Decay = hyper.Decay, Decay2 = hyper.Decay2, Epsilon = hyper.Epsilon };
        if (rule != UpdateRule.Sgd) Require(s1.Length >= n, $"{rule} needs a state buffer s1 of {n} elements.");
        if (rule == UpdateRule.Adam) Require(s2.Length >= n, $"Adam needs a state buffer s2 of {n} elements.");
        switch (rule)
        {
            case UpdateRule.Sgd: sgd(stream, n, h, View(p), View(g)); break;
            case UpdateRule.Momentum: momentum(stream, n, h, View(p), View(g), StateView(s1)); break;
            case UpdateRule.Nesterov: nesterov(stream, n, h, View(p), View(g), StateView(s1)); break;
            case UpdateRule.AdaGrad: adaGrad(stream, n, h, View(p), View(g), StateView(s1)); break;
            case UpdateRule.RmsProp: rmsProp(stream, n, h, View(p), View(g), StateView(s1)); break;
            case UpdateRule.Adam: adam(stream, n, h, View(p), View(g), StateView(s1), StateView(s2)); break;
            default: throw new ArgumentOutOfRangeException(nameof(rule));
        }
    }

    // ---- convolutional layers -----------------------------------------------------------------------

    private static ConvShape Shape(ConvolutionGeometry g) => new()
    {
        N = g.Batch, C = g.Channels, H = g.Height, W = g.Width, F = g.Filters, KH = g.KernelH, KW = g.KernelW,
        Stride = g.Stride, Pad = g.Pad, OH = g.OutH, OW = g.OutW,
    };

    /// <summary>im2col columns [P, N·OHW] followed by an [F, N·OHW] GEMM result (forward) or permuted dy (backward).</summary>
    public override long ConvolutionWorkspaceLength(ConvolutionGeometry g) => (long)(g.PatchLength + g.Filters) * g.Batch * g.OutH * g.OutW;

    private (BufferView<float> Col, BufferView<float> Tmp) SplitWorkspace(ConvolutionGeometry g, BufferView<float> workspace)
    {
        Require(workspace.Length >= ConvolutionWorkspaceLength(g),
            $"The convolution needs a workspace of {ConvolutionWorkspaceLength(g)} floats; got {workspace.Length}.");
        var columns = g.Batch * g.OutH * g.OutW;
        return (workspace.Slice(0, g.PatchLength * columns), workspace.Slice(g.PatchLength * columns, g.Filters * columns));
    }

    public override void ConvolutionForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> b,
        BufferView<float> y, BufferView<float> workspace)
    {
        Require(x.Length >= g.InputLength && w.Length >= g.WeightLength && b.Length >= g.Filters && y.Length >= g.OutputLength,
            $"Convolution views do not fit {g}.");
        if (g.OutputLength == 0) return;
        var (col, tmp) = SplitWorkspace(g, workspace);
        var s = Shape(g);
        var columns = g.Batch * g.OutH * g.OutW;
        im2Col(stream, col.Length, s, View(x), View(col));
        Gemm(false, false, g.Filters, columns, g.PatchLength, 1f, w, col, 0f, tmp);
        toNchw(stream, g.OutputLength, s, View(tmp), View(b), View(y));
    }

    public override void ConvolutionBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> dy,
        BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
    {
        Require(x.Length >= g.InputLength && w.Length >= g.WeightLength && dy.Length >= g.OutputLength && dw.Length >= g.WeightLength &&
            db.Length >= g.Filters, $"Convolution backward views do not fit {g}.");
        var (col, dyT) = SplitWorkspace(g, workspace);
        var s = Shape(g);
        var columns = g.Batch * g.OutH * g.OutW;
        if (columns == 0)
        {
            Fill(dw, 0f);
            Fill(db, 0f);
            if (dx.Buffer is not null && dx.Length > 0) Fill(dx, 0f);
            return;
        }
        im2Col(stream, col.Length, s, View(x), View(col));
        fromNchw(stream, g.OutputLength, s, View(dy), View(dyT));
        Gemm(false, true, g.Filters, g.PatchLength, columns, 1f, dyT, col, 0f, dw);
        channelSum(stream, new KernelConfig(g.Filters, group),
            new ChannelShape { Outer = g.Batch, Channels = g.Filters, Inner = g.OutH * g.OutW }, View(dy), View(db));
        if (dx.Buffer is null || dx.Length == 0) return;
        Require(dx.Length >= g.InputLength, $"Convolution dx is shorter than {g.InputLength}.");
        Gemm(true, false, g.PatchLength, columns, g.Filters, 1f, w, dyT, 0f, col);
        col2Im(stream, g.InputLength, s, View(col), View(dx));
    }

    private static PoolShape Shape(PoolingGeometry g) => new()
    {
        N = g.Batch, C = g.Channels, H = g.Height, W = g.Width, Size = g.Size, Stride = g.Stride, Pad = g.Pad, OH = g.OutH, OW = g.OutW,
    };

    public override void PoolingForward(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax)
    {
        Require(x.Length >= g.InputLength && y.Length >= g.OutputLength, $"Pooling views do not fit {g}.");
        if (g.OutputLength == 0) return;
        if (mode == PoolingMode.Max)
        {
            Require(argmax.Length >= g.OutputLength, "Max pooling needs an argmax view as long as its output.");
            maxPoolForward(stream, g.OutputLength, Shape(g), View(x), View(y), View(argmax));
        }
        else
        {
            averagePoolForward(stream, g.OutputLength, Shape(g), View(x), View(y));
        }
    }

    public override void PoolingBackward(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx)
    {
        Require(dx.Length >= g.InputLength && dy.Length >= g.OutputLength, $"Pooling backward views do not fit {g}.");
        if (g.InputLength == 0) return;
        if (mode == PoolingMode.Max)
        {
            Require(argmax.Length >= g.OutputLength, "Max pooling needs the argmax of its forward pass.");
            maxPoolBackward(stream, g.InputLength, Shape(g), View(dy), View(argmax), View(dx));
        }
        else
        {
            averagePoolBackward(stream, g.InputLength, Shape(g), View(dy), View(dx));
        }
    }

    // ---- normalisation and dropout ------------------------------------------------------------------

    public override void BatchNormForward(NormalizationGeometry g, bool training, float momentum, float epsilon, BufferView<float> x,
        BufferView<float> gamma, BufferView<float> beta, BufferView<float> y, BufferView<float> runningMean, BufferView<float> runningVar,
        BufferView<float> savedMean, BufferView<float> savedInvStd)
    {
        Require(x.Length >= g.Length && y.Length >= g.Length && gamma.Length >= g.Channels && beta.Length >= g.Channels &&
            runningMean.Length >= g.Channels && runningVar.Length >= g.Channels, $"Batch normalisation views do not fit {g}.");
        if (g.Length == 0) return;
        var args = new NormArgs { N = g.Batch, C = g.Channels, S = g.Spatial, Momentum = momentum, Epsilon = epsilon };
        if (training)
        {
            Require(savedMean.Length >= g.Channels && savedInvStd.Length >= g.Channels, "Training batch normalisation needs saved-statistics views.");
            batchNormTraining(stream, new KernelConfig(g.Channels, group), args, View(x), View(gamma), View(beta), View(y),
                View(runningMean), View(runningVar), View(savedMean), View(savedInvStd));
        }
        else
        {
            batchNormInference(stream, g.Length, args, View(x), View(gamma), View(beta), View(y), View(runningMean), View(runningVar));
        }
    }

    public override void BatchNormBackward(NormalizationGeometry g, BufferView<float> x, BufferView<float> gamma, BufferView<float> dy,
        BufferView<float> savedMean, BufferView<float> savedInvStd, BufferView<float> dx, BufferView<float> dgamma, BufferView<float> dbeta)
    {
        Require(x.Length >= g.Length && dy.Length >= g.Length && dx.Length >= g.Length && gamma.Length >= g.Channels &&
            dgamma.Length >= g.Channels && dbeta.Length >= g.Channels, $"Batch normalisation backward views do not fit {g}.");
        if (g.Length == 0) return;
        var args = new NormArgs { N = g.Batch, C = g.Channels, S = g.Spatial };
        batchNormBackward(stream, new KernelConfig(g.Channels, group), args, View(x), View(gamma), View(dy), View(savedMean),
            View(savedInvStd), View(dx), View(dgamma), View(dbeta));
    }

    public override void DropoutForward(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, ulong counter)
    {
        Require(x.Length == y.Length && x.Length == mask.Length, "Dropout needs x, y and mask of one length.");
        if (x.Length > 0) dropout(stream, x.Length, View(x), View(y), View(mask), ratio, 1f / (1f - ratio), seed, counter);
    }

    public override void RoundToHalf(BufferView<float> x)
    {
        if (x.Length > 0) roundToHalf(stream, x.Length, View(x));
    }
}
