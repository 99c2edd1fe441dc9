using Xunit;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// A fact that needs the official MNIST test set (<see cref="TestMnist"/>): it shows as skipped, with the reason,
/// where the set is not configured (xunit 2 has no dynamic skip, so the decision is made when the attribute is built).
/// </summary>
public sealed class OfficialTestSetFactAttribute : FactAttribute
{
    public OfficialTestSetFactAttribute()
    {
        if (TestMnist.Dir is null) Skip = TestMnist.MissingReason;
    }
}
