using DeepGpu.Kernels;
using ILGPU;
using System.Runtime.CompilerServices;
using ILGPU.Runtime;

namespace DeepGpu.Backends.Ilgpu;

// Launcher delegates, each loaded (compiled) once in the constructor: a compile failure there is reported
// at start-up rather than poisoning the context in the middle of training.
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float> _fill = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _copy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float, ArrayView<float>> _addScaled = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _multiply = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, float, ArrayView<float>> _sumOfSquares = null!;

    private Action<AcceleratorStream, KernelConfig, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>> _gemmTiled = null!, _gemmRegister = null!, _gemmWide = null!;
    private Action<AcceleratorStream, Index1D, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>> _gemmSplitKReduce = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> _addBias = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int> _addChannelBias = null!;
    private Action<AcceleratorStream, KernelConfig, ChannelShape, ArrayView<float>, ArrayView<float>> _channelSum = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _reluForward = null!, _sigmoidForward = null!, _tanhForward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _reluBackward = null!, _sigmoidBackward = null!, _tanhBackward = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> _softmax = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> _softmaxCrossEntropy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> _softmaxCrossEntropyBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int> _softmaxLoss = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _sumSquaredError = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _sumSquaredErrorBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>, int> _oneHot = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> _countCorrect = null!;

    private Action<AcceleratorStream, Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>,
        ArrayView<long>> _gatherBatch = null!;
    private Action<AcceleratorStream, Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>, ArrayView<long>> _augment = null!;

    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<long>> _sgd = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>> _momentum = null!, _nesterov = null!, _adaGrad = null!, _rmsProp = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>> _adam = null!;

    private Action<AcceleratorStream, Index1D, ConvShape, ArrayView<float>, ArrayView<float>> _col2Im = null!;

    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>> _maxPoolForward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>> _averagePoolForward = null!, _averagePoolBackward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>> _maxPoolBackward = null!;

    private Action<AcceleratorStream, KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> _batchNormTraining = null!, _batchNormBackward = null!;
    private Action<AcceleratorStream, Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>> _batchNormInference = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong, ulong,
        ArrayView<long>> _dropout = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>> _roundToHalf = null!;

    // Each launcher counts its launches (Backend.Counters), so a test can pin the launches of a training step, and
    // with a LaunchLog records each launch's kernel and arguments (boxed only then).
    private Action<AcceleratorStream, TIndex, T1> Counted<TIndex, T1>(Action<AcceleratorStream, TIndex, T1> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1])) k(s, i, a1);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2> Counted<TIndex, T1, T2>(Action<AcceleratorStream, TIndex, T1, T2> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2])) k(s, i, a1, a2);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3> Counted<TIndex, T1, T2, T3>(Action<AcceleratorStream, TIndex, T1, T2, T3> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3])) k(s, i, a1, a2, a3);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4> Counted<TIndex, T1, T2, T3, T4>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4])) k(s, i, a1, a2, a3, a4);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5> Counted<TIndex, T1, T2, T3, T4, T5>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4, a5) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4, a5])) k(s, i, a1, a2, a3, a4, a5);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6> Counted<TIndex, T1, T2, T3, T4, T5, T6>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4, a5, a6) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4, a5, a6])) k(s, i, a1, a2, a3, a4, a5, a6);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4, a5, a6, a7) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4, a5, a6, a7])) k(s, i, a1, a2, a3, a4, a5, a6, a7);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4, a5, a6, a7, a8) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4, a5, a6, a7, a8])) k(s, i, a1, a2, a3, a4, a5, a6, a7, a8);
        };
    }
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> k,
        [CallerArgumentExpression(nameof(k))] string loader = "")
    {
        var kernel = KernelName(loader);
        return (s, i, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
        {
            if (!LogOnly(kernel, LaunchLog is null ? null : [i, a1, a2, a3, a4, a5, a6, a7, a8, a9])) k(s, i, a1, a2, a3, a4, a5, a6, a7, a8, a9);
        };
    }

    /// <summary>Counts a launch and logs it (arguments are null without a log); true when it is only to be logged.</summary>
    private bool LogOnly(string kernel, object?[]? arguments)
    {
        CountLaunch();
        if (arguments is null || LaunchLog is not { } log) return false;
        log.Add(new LaunchRecord(kernel, arguments));
        return SkipLaunches;
    }

    /// <summary>The kernel method a loader expression names: "a.LoadKernel&lt;...&gt;(GemmKernels.Tiled&lt;TTile&gt;)" gives "GemmKernels.Tiled&lt;TTile&gt;".</summary>
    private static string KernelName(string loader)
    {
        var open = loader.LastIndexOf("(", StringComparison.Ordinal);
        return open < 0 ? loader : loader[(open + 1)..].TrimEnd(')');
    }

    private void LoadKernels<TTile, TGroup>() where TTile : struct, IGemmTile where TGroup : struct, IGroupSize
    {
        var a = _accelerator;
        _fill = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Fill));
        _copy = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Copy));
        _addScaled = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ElementwiseKernels.AddScaled));
        _multiply = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply));
        _sumOfSquares = Counted(a.LoadKernel<ArrayView<float>, float, ArrayView<float>>(ReductionKernels.SumOfSquares<TGroup>));

        _gemmTiled = Counted(a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(GemmKernels.Tiled<TTile>));
        _gemmRegister = Counted(a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(GemmKernels.Register<TTile>));
        _gemmWide = Counted(a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(GemmKernels.Wide));
        _gemmSplitKReduce = Counted(a.LoadAutoGroupedKernel<Index1D, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>>(GemmKernels.SplitKReduce));
        _addBias = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(BiasKernels.AddBias));
        _addChannelBias = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(BiasKernels.AddChannelBias));
        _channelSum = Counted(a.LoadKernel<ChannelShape, ArrayView<float>, ArrayView<float>>(ReductionKernels.ChannelSum<TGroup>));
        _reluForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<ReluFunctor>));
        _sigmoidForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<SigmoidFunctor>));
        _tanhForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<TanhFunctor>));
        _reluBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<ReluFunctor>));
        _sigmoidBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<SigmoidFunctor>));
        _tanhBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<TanhFunctor>));

        _softmax = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Softmax));
        _softmaxCrossEntropy = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropy));
        _softmaxCrossEntropyBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropyBackward));
        _softmaxLoss = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(SoftmaxKernels.SoftmaxLoss));
        _sumSquaredError = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(SoftmaxKernels.SumSquaredError));
        _sumSquaredErrorBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            SoftmaxKernels.SumSquaredErrorBackward));
        _oneHot = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.OneHot));
        _countCorrect = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.CountCorrect));

        _gatherBatch = Counted(a.LoadAutoGroupedKernel<Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>,
            ArrayView<long>>(DataKernels.GatherBatch));
        _augment = Counted(a.LoadAutoGroupedKernel<Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>, ArrayView<long>>(DataKernels.Augment));

        _sgd = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.Sgd));
        _momentum = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.Momentum));
        _nesterov = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.Nesterov));
        _adaGrad = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.AdaGrad));
        _rmsProp = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.RmsProp));
        _adam = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>>(OptimizerKernels.Adam));

        _col2Im = Counted(a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.Col2Im));

        _maxPoolForward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>>(PoolingKernels.MaxForward));
        _averagePoolForward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageForward));
        _averagePoolBackward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageBackward));
        _maxPoolBackward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>>(PoolingKernels.MaxBackward));

        _batchNormTraining = Counted(a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardTraining<TGroup>));
        _batchNormBackward = Counted(a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.Backward<TGroup>));
        _batchNormInference = Counted(a.LoadAutoGroupedKernel<Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardInference));

        _dropout = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong, ulong,
            ArrayView<long>>(DropoutKernels.Forward));
        _roundToHalf = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>>(PrecisionKernels.RoundToHalf));
    }

    /// <summary>When set, every launch is added to it (tests compare the launches of consecutive training steps).</summary>
    internal List<LaunchRecord>? LaunchLog { get; set; }

    /// <summary>With a <see cref="LaunchLog"/>, launches are only logged, not run (comparing long launch lists on the slow simulator).</summary>
    internal bool SkipLaunches { get; set; }
}

/// <summary>One kernel launch: the kernel and its arguments (the index or configuration first), boxed.</summary>
internal sealed record LaunchRecord(string Kernel, object?[] Arguments)
{
    public override string ToString() => $"{Kernel}({string.Join(", ", Arguments.Select(Describe))})";

    private static string Describe(object? value) => value switch
    {
        null => "null",
        ArrayView<float> v => $"float[{v.Length}]@{v.LoadEffectiveAddressAsPtr():x}",
        ArrayView<int> v => $"int[{v.Length}]@{v.LoadEffectiveAddressAsPtr():x}",
        ArrayView<byte> v => $"byte[{v.Length}]@{v.LoadEffectiveAddressAsPtr():x}",
        ArrayView<long> v => $"long[{v.Length}]@{v.LoadEffectiveAddressAsPtr():x}",
        _ when value.GetType().Namespace == typeof(GemmArgs).Namespace =>
            $"{{{string.Join(" ", value.GetType().GetFields().Select(f => $"{f.Name}={Describe(f.GetValue(value))}"))}}}",
        _ => value.ToString() ?? "",
    };
}
