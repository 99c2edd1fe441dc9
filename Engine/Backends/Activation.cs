namespace DeepGpu.Backends;

/// <summary>Element-wise activation functions with their derivative expressed through the output y.</summary>
public enum Activation
{
    /// <summary>y = max(0, x); dy/dx = 1 where y &gt; 0 (the book's mask x &lt;= 0 gives 0).</summary>
    Relu,
    /// <summary>y = 1 / (1 + e^-x); dy/dx = y(1 - y).</summary>
    Sigmoid,
    /// <summary>y = tanh x; dy/dx = 1 - y².</summary>
    Tanh,
}
