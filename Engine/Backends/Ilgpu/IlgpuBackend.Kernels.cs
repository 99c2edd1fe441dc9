using DeepGpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepGpu.Backends.Ilgpu;

// Launcher delegates, each loaded (compiled) once in the constructor: a compile failure there is reported
// at start-up rather than poisoning the context in the middle of training.
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float> fill = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> copy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float, ArrayView<float>> addScaled = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> multiply = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, float, ArrayView<float>> sumOfSquares = null!;

    private Action<AcceleratorStream, KernelConfig, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>> gemmTiled = null!, gemmRegister = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> addBias = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int> addChannelBias = null!;
    private Action<AcceleratorStream, KernelConfig, ChannelShape, ArrayView<float>, ArrayView<float>> channelSum = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> reluForward = null!, sigmoidForward = null!, tanhForward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> reluBackward = null!, sigmoidBackward = null!, tanhBackward = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> softmax = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> softmaxCrossEntropy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> softmaxCrossEntropyBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int> softmaxLoss = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> sumSquaredError = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> sumSquaredErrorBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>, int> oneHot = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> countCorrect = null!;

    private Action<AcceleratorStream, Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>> gatherBatch = null!;
    private Action<AcceleratorStream, Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>> augment = null!;

    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>> sgd = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>> momentum = null!, nesterov = null!, adaGrad = null!, rmsProp = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> adam = null!;

    private Action<AcceleratorStream, Index1D, ConvShape, ArrayView<float>, ArrayView<float>> col2Im = null!;

    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>> maxPoolForward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>> averagePoolForward = null!, averagePoolBackward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>> maxPoolBackward = null!;

    private Action<AcceleratorStream, KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> batchNormTraining = null!, batchNormBackward = null!;
    private Action<AcceleratorStream, Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>> batchNormInference = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong> dropout = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>> roundToHalf = null!;

    // Each launcher counts its launches (Backend.Counters), so a test can pin the launches of a training step.
    private Action<AcceleratorStream, TIndex, T1> Counted<TIndex, T1>(Action<AcceleratorStream, TIndex, T1> k) =>
        (s, i, a1) => { CountLaunch(); k(s, i, a1); };
    private Action<AcceleratorStream, TIndex, T1, T2> Counted<TIndex, T1, T2>(Action<AcceleratorStream, TIndex, T1, T2> k) =>
        (s, i, a1, a2) => { CountLaunch(); k(s, i, a1, a2); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3> Counted<TIndex, T1, T2, T3>(Action<AcceleratorStream, TIndex, T1, T2, T3> k) =>
        (s, i, a1, a2, a3) => { CountLaunch(); k(s, i, a1, a2, a3); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4> Counted<TIndex, T1, T2, T3, T4>(Action<AcceleratorStream, TIndex, T1, T2, T3, T4> k) =>
        (s, i, a1, a2, a3, a4) => { CountLaunch(); k(s, i, a1, a2, a3, a4); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5> Counted<TIndex, T1, T2, T3, T4, T5>(
        Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5> k) => (s, i, a1, a2, a3, a4, a5) => { CountLaunch(); k(s, i, a1, a2, a3, a4, a5); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6> Counted<TIndex, T1, T2, T3, T4, T5, T6>(
        Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6> k) =>
        (s, i, a1, a2, a3, a4, a5, a6) => { CountLaunch(); k(s, i, a1, a2, a3, a4, a5, a6); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7>(
        Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7> k) =>
        (s, i, a1, a2, a3, a4, a5, a6, a7) => { CountLaunch(); k(s, i, a1, a2, a3, a4, a5, a6, a7); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7, T8>(
        Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8> k) =>
        (s, i, a1, a2, a3, a4, a5, a6, a7, a8) => { CountLaunch(); k(s, i, a1, a2, a3, a4, a5, a6, a7, a8); };
    private Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> Counted<TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9>(
        Action<AcceleratorStream, TIndex, T1, T2, T3, T4, T5, T6, T7, T8, T9> k) =>
        (s, i, a1, a2, a3, a4, a5, a6, a7, a8, a9) => { CountLaunch(); k(s, i, a1, a2, a3, a4, a5, a6, a7, a8, a9); };

    private void LoadKernels<TTile, TGroup>() where TTile : struct, IGemmTile where TGroup : struct, IGroupSize
    {
        var a = accelerator;
        fill = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Fill));
        copy = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Copy));
        addScaled = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ElementwiseKernels.AddScaled));
        multiply = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply));
        sumOfSquares = Counted(a.LoadKernel<ArrayView<float>, float, ArrayView<float>>(ReductionKernels.SumOfSquares<TGroup>));

        gemmTiled = Counted(a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(GemmKernels.Tiled<TTile>));
        gemmRegister = Counted(a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(GemmKernels.Register<TTile>));
        addBias = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(BiasKernels.AddBias));
        addChannelBias = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(BiasKernels.AddChannelBias));
        channelSum = Counted(a.LoadKernel<ChannelShape, ArrayView<float>, ArrayView<float>>(ReductionKernels.ChannelSum<TGroup>));
        reluForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<ReluFunctor>));
        sigmoidForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<SigmoidFunctor>));
        tanhForward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<TanhFunctor>));
        reluBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<ReluFunctor>));
        sigmoidBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<SigmoidFunctor>));
        tanhBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<TanhFunctor>));

        softmax = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Softmax));
        softmaxCrossEntropy = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropy));
        softmaxCrossEntropyBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropyBackward));
        softmaxLoss = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(SoftmaxKernels.SoftmaxLoss));
        sumSquaredError = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(SoftmaxKernels.SumSquaredError));
        sumSquaredErrorBackward = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            SoftmaxKernels.SumSquaredErrorBackward));
        oneHot = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.OneHot));
        countCorrect = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.CountCorrect));

        gatherBatch = Counted(a.LoadAutoGroupedKernel<Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>>(
            DataKernels.GatherBatch));
        augment = Counted(a.LoadAutoGroupedKernel<Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>>(DataKernels.Augment));

        sgd = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Sgd));
        momentum = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Momentum));
        nesterov = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Nesterov));
        adaGrad = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.AdaGrad));
        rmsProp = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.RmsProp));
        adam = Counted(a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Adam));

        col2Im = Counted(a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.Col2Im));

        maxPoolForward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>>(PoolingKernels.MaxForward));
        averagePoolForward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageForward));
        averagePoolBackward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageBackward));
        maxPoolBackward = Counted(a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>>(PoolingKernels.MaxBackward));

        batchNormTraining = Counted(a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardTraining<TGroup>));
        batchNormBackward = Counted(a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.Backward<TGroup>));
        batchNormInference = Counted(a.LoadAutoGroupedKernel<Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardInference));

        dropout = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong>(DropoutKernels.Forward));
        roundToHalf = Counted(a.LoadAutoGroupedKernel<Index1D, ArrayView<float>>(PrecisionKernels.RoundToHalf));
    }
}
