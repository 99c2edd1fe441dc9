using Xunit;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// A fact that needs <c>../shared/data/mnist</c>: it shows as skipped, not passed, where that directory
/// is missing (xunit 2 has no dynamic skip, so the decision is made when the attribute is built).
/// </summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.MnistDir is null) Skip = "needs ../shared/data/mnist";
    }
}
