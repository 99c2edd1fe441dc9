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

    private Action<AcceleratorStream, KernelConfig, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>> gemmTiled = null!;
    private Action<AcceleratorStream, KernelConfig, GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>> gemmRegister = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> addBias = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int> addChannelBias = null!;
    private Action<AcceleratorStream, KernelConfig, ChannelShape, ArrayView<float>, ArrayView<float>> channelSum = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> reluForward = null!, sigmoidForward = null!, tanhForward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> reluBackward = null!, sigmoidBackward = null!, tanhBackward = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> softmax = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> softmaxCrossEntropy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> softmaxCrossEntropyBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> sumSquaredError = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> sumSquaredErrorBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<float>, int> oneHot = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> countCorrect = null!;

    private Action<AcceleratorStream, Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>> gatherBatch = null!;
    private Action<AcceleratorStream, Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>> augment = null!;

    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>> sgd = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>> momentum = null!, nesterov = null!, adaGrad = null!, rmsProp = null!;
    private Action<AcceleratorStream, Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> adam = null!;

    private Action<AcceleratorStream, Index1D, ConvShape, ArrayView<float>, ArrayView<float>> im2Col = null!, fromNchw = null!, col2Im = null!;
    private Action<AcceleratorStream, Index1D, ConvShape, ArrayView<float>, ArrayView<float>, ArrayView<float>> toNchw = null!;

    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>> maxPoolForward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<float>> averagePoolForward = null!, averagePoolBackward = null!;
    private Action<AcceleratorStream, Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>> maxPoolBackward = null!;

    private Action<AcceleratorStream, KernelConfig, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> batchNormTraining = null!, batchNormBackward = null!;
    private Action<AcceleratorStream, Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>> batchNormInference = null!;

    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong> dropout = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>> roundToHalf = null!;

    private void LoadKernels<TTile, TGroup>() where TTile : struct, IGemmTile where TGroup : struct, IGroupSize
    {
        var a = accelerator;
        fill = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Fill);
        copy = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Copy);
        addScaled = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float, ArrayView<float>>(ElementwiseKernels.AddScaled);
        multiply = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply);
        sumOfSquares = a.LoadKernel<ArrayView<float>, float, ArrayView<float>>(ReductionKernels.SumOfSquares<TGroup>);

        gemmTiled = a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GemmKernels.Tiled<TTile>);
        gemmRegister = a.LoadKernel<GemmArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GemmKernels.Register<TTile>);
        addBias = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(BiasKernels.AddBias);
        addChannelBias = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(BiasKernels.AddChannelBias);
        channelSum = a.LoadKernel<ChannelShape, ArrayView<float>, ArrayView<float>>(ReductionKernels.ChannelSum<TGroup>);
        reluForward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<ReluFunctor>);
        sigmoidForward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<SigmoidFunctor>);
        tanhForward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationForward<TanhFunctor>);
        reluBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<ReluFunctor>);
        sigmoidBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<SigmoidFunctor>);
        tanhBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ActivationBackward<TanhFunctor>);

        softmax = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Softmax);
        softmaxCrossEntropy = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropy);
        softmaxCrossEntropyBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(
            SoftmaxKernels.SoftmaxCrossEntropyBackward);
        sumSquaredError = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(SoftmaxKernels.SumSquaredError);
        sumSquaredErrorBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            SoftmaxKernels.SumSquaredErrorBackward);
        oneHot = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.OneHot);
        countCorrect = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(SoftmaxKernels.CountCorrect);

        gatherBatch = a.LoadAutoGroupedKernel<Index1D, GatherArgs, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<int>>(
            DataKernels.GatherBatch);
        augment = a.LoadAutoGroupedKernel<Index1D, AugmentArgs, ArrayView<float>, ArrayView<float>>(DataKernels.Augment);

        sgd = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Sgd);
        momentum = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Momentum);
        nesterov = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Nesterov);
        adaGrad = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.AdaGrad);
        rmsProp = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.RmsProp);
        adam = a.LoadAutoGroupedKernel<Index1D, UpdateArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(OptimizerKernels.Adam);

        im2Col = a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.Im2Col);
        fromNchw = a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.FromNchw);
        col2Im = a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.Col2Im);
        toNchw = a.LoadAutoGroupedKernel<Index1D, ConvShape, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ConvolutionKernels.ToNchw);

        maxPoolForward = a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>, ArrayView<int>>(PoolingKernels.MaxForward);
        averagePoolForward = a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageForward);
        averagePoolBackward = a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<float>>(PoolingKernels.AverageBackward);
        maxPoolBackward = a.LoadAutoGroupedKernel<Index1D, PoolShape, ArrayView<float>, ArrayView<int>, ArrayView<float>>(PoolingKernels.MaxBackward);

        batchNormTraining = a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardTraining<TGroup>);
        batchNormBackward = a.LoadKernel<NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>>(BatchNormKernels.Backward<TGroup>);
        batchNormInference = a.LoadAutoGroupedKernel<Index1D, NormArgs, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>>(BatchNormKernels.ForwardInference);

        dropout = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong>(DropoutKernels.Forward);
        roundToHalf = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>>(PrecisionKernels.RoundToHalf);
    }
}
