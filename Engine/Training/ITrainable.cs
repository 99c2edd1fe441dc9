using DeepGpu.Backends;
using DeepGpu.Graph;

namespace DeepGpu.Training;

/// <summary>
/// What a <see cref="Trainer"/> trains and <see cref="Evaluator"/> scores: a network whose parameters, gradients
/// and state live on a backend, compiled into a plan per batch size (a model is one).
/// </summary>
public interface ITrainable
{
    Network Network { get; }
    Backend Backend { get; }

    /// <summary>All parameters in one flat buffer (layout: <see cref="Network.Parameters"/>).</summary>
    DeviceBuffer<float> Parameters { get; }

    /// <summary>All gradients, laid out like <see cref="Parameters"/>.</summary>
    DeviceBuffer<float> Gradients { get; }

    /// <summary>The epochs trained so far, one entry per epoch; a trainer adds to it.</summary>
    IList<EpochMetrics> History { get; }

    /// <summary>The plan for a batch size (compiled on first use and kept).</summary>
    Plan GetPlan(int batch, bool withLabels = true);
}
