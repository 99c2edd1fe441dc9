namespace DeepGpu.Backends;

/// <summary>The update rules of the book's optimizers (common/optimizer.py).</summary>
public enum UpdateRule
{
    /// <summary>p -= lr·g.</summary>
    Sgd,
    /// <summary>v = m·v − lr·g; p += v.</summary>
    Momentum,
    /// <summary>The book's form: v = m·v − lr·g; p += m·m·v − (1 + m)·lr·g.</summary>
    Nesterov,
    /// <summary>h += g²; p −= lr·g / (√h + eps).</summary>
    AdaGrad,
    /// <summary>h = d·h + (1 − d)·g²; p −= lr·g / (√h + eps).</summary>
    RmsProp,
    /// <summary>m += (1 − β1)(g − m); v += (1 − β2)(g² − v); p −= lr_t·m / (√v + eps), lr_t given by the caller.</summary>
    Adam,
}

/// <summary>
/// Hyper-parameters of one update step. <see cref="LearningRate"/> is the step's rate: for Adam the caller
/// passes the bias-corrected lr·√(1 − β2^t)/(1 − β1^t).
/// </summary>
/// <param name="FirstStateDecay">How much of <see cref="UpdateBuffers.FirstState"/> a step keeps: the momentum m of
/// Momentum and Nesterov (the velocity), RMSprop's decay d (the mean square), Adam's β1 (the first moment).</param>
/// <param name="SecondStateDecay">How much of <see cref="UpdateBuffers.SecondState"/> a step keeps: Adam's β2 (the
/// second moment).</param>
public readonly record struct UpdateHyper(float LearningRate, float FirstStateDecay = 0f, float SecondStateDecay = 0f, float Epsilon = 1e-7f);
