using System.Reflection;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Diagnostics;
using DeepGpu.Tests.TestSupport;
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

    /// <summary>Every public op of <see cref="Backend"/> is called by some case (read from the cases' compiled code).</summary>
    [Fact]
    public void EveryBackendOpHasACase()
    {
        string[] notOps = [nameof(Backend.Allocate), nameof(Backend.Upload), nameof(Backend.Download), nameof(Backend.Synchronize), nameof(Backend.Dispose),
            nameof(Backend.ConvolutionWorkspaceLength), nameof(Backend.ToString), nameof(Backend.TryRecord)];
        var ops = typeof(Backend).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !notOps.Contains(m.Name)).Select(m => m.Name).ToHashSet();
        var called = Types(typeof(OpCases)).SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(IlReader.Members).OfType<MethodInfo>().Where(m => m.DeclaringType == typeof(Backend)).Select(m => m.Name).ToHashSet();
        Assert.True(ops.Count > 30, $"only {ops.Count} ops found");
        var missing = ops.Except(called).Order().ToList();
        Assert.True(missing.Count == 0, $"ops without a case in OpCases: {string.Join(", ", missing)}");
    }

    private static IEnumerable<Type> Types(Type type) => [type, .. type.GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public).SelectMany(Types)];
}
