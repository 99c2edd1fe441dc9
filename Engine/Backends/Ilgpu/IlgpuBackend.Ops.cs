using DeepGpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeepGpu.Backends.Ilgpu;

// The ops (arguments checked by Backend): one or a few queued launches. Zero-sized work launches nothing.
public sealed partial class IlgpuBackend : IImageAugmentation, IHalfPrecisionRounding
{
    protected override void FillCore(BufferView<float> x, float value)
    {
        if (x.Length > 0) _fill(_stream, x.Length, View(x), value);
    }

    protected override void CopyCore(BufferView<float> source, BufferView<float> destination)
    {
        if (source.Length > 0) _copy(_stream, source.Length, View(source), View(destination));
    }

    protected override void AddScaledCore(BufferView<float> x, float alpha, BufferView<float> y)
    {
        if (x.Length > 0) _addScaled(_stream, x.Length, View(x), alpha, View(y));
    }

    protected override void SumOfSquaresCore(BufferView<float> x, float scale, BufferView<float> accumulator)
    {
        if (x.Length == 0) return;
        var groups = Math.Min(Blocks(x.Length, _group), _tile == 4 ? 4 : 256);
        _sumOfSquares(_stream, new KernelConfig(groups, _group), View(x), scale, View(accumulator));
    }

    protected override void MultiplyCore(BufferView<float> x, BufferView<float> mask, BufferView<float> y)
    {
        if (x.Length > 0) _multiply(_stream, x.Length, View(x), View(mask), View(y));
    }

    // ---- dense layers -------------------------------------------------------------------------------

    protected override void GemmCore(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        if (m == 0 || n == 0) return;
        if (_blas is not null && k > 0)
        {
            // cuBLAS is column-major: row-major C [m, n] is column-major Cᵀ, and Cᵀ = op(B)ᵀ·op(A)ᵀ.
            CountLaunch();
            LaunchLog?.Add(new LaunchRecord("cuBLAS Gemm", [transposeA, transposeB, m, n, k, alpha, View(a), View(b), beta, View(c)]));
            _blas.Gemm(transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
                n, m, k, alpha, View(b), transposeB ? k : n, View(a), transposeA ? m : k, beta, View(c), n);
            return;
        }
        ArrayView<float> none = _placeholder.View;
        LaunchGemm(new GemmArgs { M = m, N = n, K = k, TransA = transposeA ? 1 : 0, TransB = transposeB ? 1 : 0, Alpha = alpha, Beta = beta },
            View(a), none, View(b), none, View(c), none, none, VectorAligned(a, b));
    }

    /// <summary>
    /// The GEMM kernel (M and N at least 1): on CUDA the wide 128x128 tile for large aligned dense shapes, register-tiled
    /// for matrices of a block tile or more, else shared-memory tiled; split over K (a second launch adds the slices)
    /// where the grid would leave most of a GPU's multiprocessors idle. <paramref name="vectorAligned"/>: A and B start
    /// on a 16-byte boundary.
    /// </summary>
    private void LaunchGemm(GemmArgs args, ArrayView<float> a, ArrayView<float> auxA, ArrayView<float> b, ArrayView<float> auxB,
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> sums, bool vectorAligned = false)
    {
        if (UseWide(args, vectorAligned))
        {
            WideLaunches++;
            _gemmWide(_stream, new KernelConfig(new Index2D(args.N / 128, args.M / 128), new Index2D(16, 16)), args, a, auxA, b, auxB, c, bias, sums);
            return;
        }
        var blockTile = 4 * _tile;
        var register = _gemmMode is IlgpuGemm.Register or IlgpuGemm.Wide ||
            (_gemmMode == IlgpuGemm.Auto && _accelerator.AcceleratorType == AcceleratorType.Cuda && args.M >= blockTile && args.N >= blockTile);
        var edge = register ? blockTile : _tile;
        var grid = new Index2D(Blocks(args.N, edge), Blocks(args.M, edge));
        var kernel = register ? _gemmRegister : _gemmTiled;
        args.SliceK = SliceLength(args.K, grid.Size);
        if (args.SliceK == 0)
        {
            kernel(_stream, new KernelConfig(grid, new Index2D(_tile, _tile)), args, a, auxA, b, auxB, c, bias, sums);
            return;
        }
        var slices = Blocks(args.K, args.SliceK);
        var cells = args.M * args.N;
        var sumLength = args.SumMode switch { 1 => args.M, 2 => args.N, _ => 0 };
        var workspace = SplitWorkspace(slices * (cells + sumLength));
        var partials = workspace.SubView(0, slices * cells);
        ArrayView<float> partialSums = sumLength == 0 ? _placeholder.View : workspace.SubView(slices * cells, slices * sumLength);
        kernel(_stream, new KernelConfig(new Index3D(grid.X, grid.Y, slices), new Index3D(_tile, _tile, 1)),
            args, a, auxA, b, auxB, partials, bias, partialSums);
        _gemmSplitKReduce(_stream, cells + sumLength, args, partials, partialSums, c, bias, sums);
    }

    /// <summary>
    /// Whether the wide kernel takes a GEMM: what it was written for (see GemmWide.cs), on GPU-sized groups, and on CUDA
    /// only when its 128x128 blocks still give every multiprocessor one (the 64x64 tile spreads smaller ones wider).
    /// </summary>
    private bool UseWide(GemmArgs g, bool vectorAligned)
    {
        var fits = _tile == default(Tile16).Size && vectorAligned && g.TransA == 0 && g.TransB == 0 &&
            g.FormA == GemmForm.Dense && g.FormB == GemmForm.Dense && g.DerivA == 0 && g.DerivB == 0 && g.SumMode == 0 &&
            g.M % 128 == 0 && g.N % 128 == 0 && g.K % 8 == 0 && g.K > 0;
        if (!fits) return false;
        return _gemmMode == IlgpuGemm.Wide || (_gemmMode == IlgpuGemm.Auto && _accelerator.AcceleratorType == AcceleratorType.Cuda &&
            (long)(g.M / 128) * (g.N / 128) >= _accelerator.NumMultiprocessors);
    }

    /// <summary>Both views start on a 16-byte boundary (the wide kernel's vector loads need it).</summary>
    private static bool VectorAligned(BufferView<float> a, BufferView<float> b) => a.Offset % 4 == 0 && b.Offset % 4 == 0;

    /// <summary>Launches of the wide kernel so far (tests check that a shape took it).</summary>
    internal long WideLaunches { get; private set; }

    private int SliceLength(int k, long blocks)
    {
        if (_forcedSliceK > 0) return k > _forcedSliceK ? _forcedSliceK : 0;
        return _splitK ? SliceLength(k, blocks, _accelerator.NumMultiprocessors, _tile) : 0;
    }

    /// <summary>
    /// K per slice for a GEMM of <paramref name="blocks"/> output blocks on a GPU of <paramref name="multiprocessors"/>,
    /// 0 to run K whole: split when the blocks fill under half the multiprocessors, into enough slices for about two
    /// blocks on each, every slice at least eight K steps long and at most <see cref="MaxSlices"/> slices.
    /// </summary>
    internal static int SliceLength(int k, long blocks, int multiprocessors, int kStep)
    {
        if (2 * blocks > multiprocessors) return 0;
        var wanted = 2L * multiprocessors;
        var slices = (int)Math.Min(Math.Min((wanted + blocks - 1) / blocks, k / (8L * kStep)), MaxSlices);
        if (slices < 2) return 0;
        return Blocks(Blocks(k, slices), kStep) * kStep;
    }

    /// <summary>
    /// The split-K partials' workspace, grown (never shrunk) to at least <paramref name="length"/> floats. A workspace
    /// outgrown stays allocated until the backend is disposed: queued launches and recorded CUDA graphs may still use it.
    /// </summary>
    private ArrayView<float> SplitWorkspace(int length)
    {
        if (_splitPartials is null || _splitPartials.Length < length)
        {
            if (_splitPartials is not null) _outgrownWorkspaces.Add(_splitPartials);
            _splitPartials = Allocate<float>(length);
        }
        return View(_splitPartials.View).SubView(0, length);
    }

    /// <summary>The kernels' activation code: 0 none, 1 ReLU, 2 sigmoid, 3 tanh.</summary>
    private static int Code(Activation? kind) => kind switch
    {
        Activation.Relu => 1,
        Activation.Sigmoid => 2,
        Activation.Tanh => 3,
        _ => 0,
    };

    // An affine layer is one launch forward (bias and activation in the GEMM's epilogue) and at most two backward:
    // dW with db summed from the tiles it loads, and dx; both read DY·f'(Y) as they load it.
    protected override void AffineForwardCore(AffineGeometry g, Activation? activation, in AffineForwardBuffers b)
    {
        if (g.Rows == 0 || g.Outputs == 0) return;
        ArrayView<float> none = _placeholder.View;
        LaunchGemm(new GemmArgs { M = g.Rows, N = g.Outputs, K = g.Inputs, Alpha = 1f, BiasMode = 1, Activation = Code(activation) },
            View(b.X), none, View(b.W), none, View(b.Y), View(b.B), none, VectorAligned(b.X, b.W));
    }

    protected override void AffineBackwardCore(AffineGeometry g, Activation? activation, in AffineBackwardBuffers b)
    {
        if (g.Outputs == 0) return;
        ArrayView<float> none = _placeholder.View;
        var derivative = Code(activation);
        var y = derivative == 0 ? none : View(b.Y);
        if (g.Inputs == 0) BiasGradientCore(b.DY, b.DB, g.Rows, g.Outputs);
        else
        {
            LaunchGemm(new GemmArgs { M = g.Inputs, N = g.Outputs, K = g.Rows, TransA = 1, Alpha = 1f, DerivB = derivative, SumMode = 2 },
                View(b.X), none, View(b.DY), y, View(b.DW), none, View(b.DB));
        }
        if (b.DX.Length == 0 || g.Rows == 0 || g.Inputs == 0) return;
        LaunchGemm(new GemmArgs { M = g.Rows, N = g.Inputs, K = g.Outputs, TransB = 1, Alpha = 1f, DerivA = derivative },
            View(b.DY), y, View(b.W), none, View(b.DX), none, none);
    }

    protected override void AddBiasCore(BufferView<float> x, BufferView<float> bias, int rows, int cols)
    {
        if (rows * cols > 0) _addBias(_stream, rows * cols, View(x), View(bias), cols);
    }

    protected override void BiasGradientCore(BufferView<float> dy, BufferView<float> db, int rows, int cols)
    {
        if (cols > 0) _channelSum(_stream, new KernelConfig(cols, _group), new ChannelShape { Outer = rows, Channels = cols, Inner = 1 }, View(dy), View(db));
    }

    protected override void ActivationForwardCore(Activation kind, BufferView<float> x, BufferView<float> y)
    {
        if (x.Length == 0) return;
        var launcher = kind switch
        {
            Activation.Relu => _reluForward,
            Activation.Sigmoid => _sigmoidForward,
            Activation.Tanh => _tanhForward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        launcher(_stream, x.Length, View(x), View(y));
    }

    protected override void ActivationBackwardCore(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx)
    {
        if (y.Length == 0) return;
        var launcher = kind switch
        {
            Activation.Relu => _reluBackward,
            Activation.Sigmoid => _sigmoidBackward,
            Activation.Tanh => _tanhBackward,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        launcher(_stream, y.Length, View(y), View(dy), View(dx));
    }

    // ---- softmax and losses ---------------------------------------------------------------------------

    protected override void SoftmaxCore(BufferView<float> x, BufferView<float> y, int rows, int cols)
    {
        if (rows > 0 && cols > 0) _softmax(_stream, rows, View(x), View(y), cols);
    }

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, BufferView<float> probabilities,
        BufferView<float> lossSum, int rows, int cols)
    {
        if (rows > 0 && cols > 0) _softmaxCrossEntropy(_stream, rows, View(logits), View(labels), View(probabilities), View(lossSum), rows, cols);
    }

    protected override void SoftmaxCrossEntropyBackwardCore(BufferView<float> probabilities, BufferView<int> labels, BufferView<float> dlogits,
        int rows, int cols)
    {
        if (rows * cols > 0) _softmaxCrossEntropyBackward(_stream, rows * cols, View(probabilities), View(labels), View(dlogits), rows, cols);
    }

    protected override void SoftmaxLossCore(in SoftmaxLossBuffers b, int rows, int cols)
    {
        if (rows == 0 || cols == 0) return;
        var withGradient = b.DLogits.Length != 0;
        _softmaxLoss(_stream, rows, View(b.Logits), View(b.Labels), View(b.Probabilities), View(b.LossSum), View(b.CorrectCount),
            withGradient ? View(b.DLogits) : _placeholder.View, rows, cols, withGradient ? 1 : 0);
    }

    protected override void SumSquaredErrorCore(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols)
    {
        if (rows > 0 && cols > 0) _sumSquaredError(_stream, rows, View(y), View(t), View(lossSum), rows, cols);
    }

    protected override void SumSquaredErrorBackwardCore(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols)
    {
        if (rows * cols > 0) _sumSquaredErrorBackward(_stream, rows * cols, View(y), View(t), View(dy), rows);
    }

    protected override void OneHotCore(BufferView<int> labels, BufferView<float> t, int rows, int cols)
    {
        if (rows * cols > 0) _oneHot(_stream, rows * cols, View(labels), View(t), cols);
    }

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols)
    {
        if (rows > 0 && cols > 0) _countCorrect(_stream, rows, View(scores), View(labels), View(counter), cols);
    }

    // ---- data ---------------------------------------------------------------------------------------

    protected override void GatherBatchCore(in GatherBatchArgs a)
    {
        var n = a.Count * a.SampleLength;
        if (n == 0) return;
        var fromRecord = a.Record is not null;
        var args = new GatherArgs { Start = fromRecord ? 0 : a.Start, SampleLength = a.SampleLength, Scale = a.Scale, FromRecord = fromRecord ? 1 : 0 };
        _gatherBatch(_stream, n, args, View(a.Images), View(a.Labels), View(a.Order), View(a.X), View(a.Y), RecordView(a.Record));
    }

    void IImageAugmentation.AugmentCore(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, StepCounter counter)
    {
        var n = batch * channels * height * width;
        if (n == 0) return;
        var args = new AugmentArgs
        {
            Batch = batch, Channels = channels, Height = height, Width = width,
            MaxShift = options.MaxShift, MaxRotationDegrees = options.MaxRotationDegrees, MaxScale = options.MaxScale,
            Seed = seed, Counter = counter.Base, CounterPerStep = counter.Record is null ? 0 : counter.PerStep,
        };
        _augment(_stream, n, args, View(x), View(y), RecordView(counter.Record));
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    protected override void ApplyUpdateCore(UpdateRule rule, UpdateHyper hyper, in UpdateBuffers buffers)
    {
        var (p, g, first, second) = (buffers.Parameters, buffers.Gradients, buffers.FirstState, buffers.SecondState);
        var n = p.Length;
        if (n == 0) return;
        var h = new UpdateArgs
        {
            LearningRate = hyper.LearningRate, FirstStateDecay = hyper.FirstStateDecay, SecondStateDecay = hyper.SecondStateDecay, Epsilon = hyper.Epsilon,
            FromRecord = buffers.Record is null ? 0 : 1,
        };
        var r = RecordView(buffers.Record);
        switch (rule)
        {
            case UpdateRule.Sgd: _sgd(_stream, n, h, View(p), View(g), r); break;
            case UpdateRule.Momentum: _momentum(_stream, n, h, View(p), View(g), StateView(first), r); break;
            case UpdateRule.Nesterov: _nesterov(_stream, n, h, View(p), View(g), StateView(first), r); break;
            case UpdateRule.AdaGrad: _adaGrad(_stream, n, h, View(p), View(g), StateView(first), r); break;
            case UpdateRule.RmsProp: _rmsProp(_stream, n, h, View(p), View(g), StateView(first), r); break;
            case UpdateRule.Adam: _adam(_stream, n, h, View(p), View(g), StateView(first), StateView(second), r); break;
            default: throw new ArgumentOutOfRangeException(nameof(rule));
        }
    }

    // ---- convolutional layers -----------------------------------------------------------------------

    private static ConvShape Shape(ConvolutionGeometry g) => new()
    {
        N = g.Batch, C = g.Channels, H = g.Height, W = g.Width, F = g.Filters, KH = g.KernelH, KW = g.KernelW,
        Stride = g.Stride, Pad = g.Pad, OH = g.OutH, OW = g.OutW,
    };

    /// <summary>The columns [P, N·OHW] of the input gradient, before col2im gathers them (forward needs no scratch).</summary>
    protected override long ConvolutionWorkspaceLengthCore(ConvolutionGeometry g) => (long)g.PatchLength * g.Batch * g.OutH * g.OutW;

    // A convolution is an implicit GEMM: the GEMM reads the im2col matrix straight from x and writes NCHW output with
    // the bias and the ReLU, so forward is one launch; backward is dW (with db summed from the tiles) in one and,
    // for dx, a GEMM into columns and col2im. The geometry has outputs (Backend checked it), so every launch has work.
    protected override void ConvolutionForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers b) => Forward(g, b, relu: false);

    protected override void ConvolutionReluForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers b) => Forward(g, b, relu: true);

    protected override void ConvolutionBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers b) => Backward(g, b, (ArrayView<float>)_placeholder.View, relu: false);

    protected override void ConvolutionReluBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers b, BufferView<float> y) =>
        Backward(g, b, View(y), relu: true);

    private void Forward(ConvolutionGeometry g, in ConvolutionForwardBuffers b, bool relu)
    {
        ArrayView<float> none = _placeholder.View;
        var args = new GemmArgs
        {
            M = g.Filters, N = g.Batch * g.OutH * g.OutW, K = g.PatchLength, Alpha = 1f, FormB = GemmForm.Im2Col, FormC = GemmForm.Nchw,
            BiasMode = 2, Activation = relu ? 1 : 0, Conv = Shape(g),
        };
        LaunchGemm(args, View(b.W), none, View(b.X), none, View(b.Y), View(b.B), none);
    }

    private void Backward(ConvolutionGeometry g, in ConvolutionBackwardBuffers b, ArrayView<float> y, bool relu)
    {
        ArrayView<float> none = _placeholder.View;
        var s = Shape(g);
        var columns = g.Batch * g.OutH * g.OutW;
        var derivative = relu ? 1 : 0;
        // dW [F, P] = dz [F, N·OHW] · colᵀ, db[f] = Σ dz[f, ·]; dz = dy·relu'(y) read from NCHW.
        LaunchGemm(new GemmArgs
        {
            M = g.Filters, N = g.PatchLength, K = columns, TransB = 1, Alpha = 1f, FormA = GemmForm.Nchw, DerivA = derivative,
            FormB = GemmForm.Im2Col, SumMode = 1, Conv = s,
        }, View(b.DY), y, View(b.X), none, View(b.DW), none, View(b.DB));
        if (b.DX.Length == 0) return;
        // dcol [P, N·OHW] = Wᵀ · dz, then col2im gathers the taps of each input pixel.
        var col = b.Workspace.Slice(0, g.PatchLength * columns);
        LaunchGemm(new GemmArgs
        {
            M = g.PatchLength, N = columns, K = g.Filters, TransA = 1, Alpha = 1f, FormB = GemmForm.Nchw, DerivB = derivative, Conv = s,
        }, View(b.W), none, View(b.DY), y, View(col), none, none);
        _col2Im(_stream, g.InputLength, s, View(col), View(b.DX));
    }

    private static PoolShape Shape(PoolingGeometry g) => new()
    {
        N = g.Batch, C = g.Channels, H = g.Height, W = g.Width, Size = g.Size, Stride = g.Stride, Pad = g.Pad, OH = g.OutH, OW = g.OutW,
    };

    protected override void PoolingForwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax)
    {
        if (mode == PoolingMode.Max)
        {
            _maxPoolForward(_stream, g.OutputLength, Shape(g), View(x), View(y), View(argmax));
        }
        else
        {
            _averagePoolForward(_stream, g.OutputLength, Shape(g), View(x), View(y));
        }
    }

    protected override void PoolingBackwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx)
    {
        if (mode == PoolingMode.Max)
        {
            _maxPoolBackward(_stream, g.InputLength, Shape(g), View(dy), View(argmax), View(dx));
        }
        else
        {
            _averagePoolBackward(_stream, g.InputLength, Shape(g), View(dy), View(dx));
        }
    }

    // ---- normalisation and dropout ------------------------------------------------------------------

    protected override void BatchNormForwardCore(NormalizationGeometry g, BatchNormSettings settings, in BatchNormForwardBuffers b)
    {
        var args = new NormArgs { N = g.Batch, C = g.Channels, S = g.Spatial, Momentum = settings.Momentum, Epsilon = settings.Epsilon };
        if (settings.Training)
        {
            _batchNormTraining(_stream, new KernelConfig(g.Channels, _group), args, View(b.X), View(b.Gamma), View(b.Beta), View(b.Y),
                View(b.RunningMean), View(b.RunningVar), View(b.SavedMean), View(b.SavedInvStd));
        }
        else
        {
            _batchNormInference(_stream, g.Length, args, View(b.X), View(b.Gamma), View(b.Beta), View(b.Y), View(b.RunningMean), View(b.RunningVar));
        }
    }

    protected override void BatchNormBackwardCore(NormalizationGeometry g, in BatchNormBackwardBuffers b)
    {
        var args = new NormArgs { N = g.Batch, C = g.Channels, S = g.Spatial };
        _batchNormBackward(_stream, new KernelConfig(g.Channels, _group), args, View(b.X), View(b.Gamma), View(b.DY), View(b.SavedMean),
            View(b.SavedInvStd), View(b.DX), View(b.DGamma), View(b.DBeta));
    }

    protected override void DropoutForwardCore(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, StepCounter counter)
    {
        if (x.Length == 0) return;
        _dropout(_stream, x.Length, View(x), View(y), View(mask), ratio, 1f / (1f - ratio), seed, counter.Base,
            counter.Record is null ? 0 : counter.PerStep, RecordView(counter.Record));
    }

    /// <summary>The record's view, or a zero placeholder (never written: kernels write a record only when told it is one).</summary>
    private ArrayView<long> RecordView(StepRecord? record) => record is null ? _noRecord.View : View(record.Buffer.View);

    void IHalfPrecisionRounding.RoundToHalfCore(BufferView<float> x)
    {
        if (x.Length > 0) _roundToHalf(_stream, x.Length, View(x));
    }
}
