using DeepGpu.Backends.Cpu;
using DeepGpu.Diagnostics;
using Xunit;

namespace DeepGpu.Tests.Diagnostics;

/// <summary>The one list of op cases that deepgpu check and the op test suite (BackendOpTests.CheckCaseMatchesReference) both run.</summary>
public sealed class OpCasesTests
{
    [Fact]
    public void NamesAreUnique()
    {
        var repeated = OpCases.All.GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, $"repeated case names: {string.Join(", ", repeated)}");
    }

    [Fact]
    public void SelfCheckRunsEveryCaseFirst()
    {
        using var backend = new CpuBackend();
        var ops = SelfCheck.Run(backend).Take(OpCases.All.Count).ToList();
        Assert.Equal(OpCases.All.Select(c => c.Name), ops.Select(r => $"{r.Op} {r.Case}"));
        Assert.All(ops, r => Assert.True(r.Passed, $"{r.Op} {r.Case}: error {r.Error} over {r.Tolerance} {r.Message}"));
    }
}
