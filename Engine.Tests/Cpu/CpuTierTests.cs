using System.Diagnostics;
using System.Reflection;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using DeepGpu.Backends.Cpu;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Cpu;

/// <summary>
/// Which SIMD tier the cpu backend takes. The tiers this CPU has are each run through the whole op suite
/// (Ops/OpTestClasses.cs); here child processes with the runtime's switches turned off prove that each narrower
/// path is really taken when the wider hardware is missing, and that it computes every op right.
/// </summary>
public sealed class CpuTierTests
{
    [Fact]
    public void DefaultTierIsSupportedAndNoWiderOneIs()
    {
        using var backend = new CpuBackend();
        Assert.True(CpuTiers.IsSupported(backend.Tier), $"default tier {backend.Tier} is not accelerated here");
        var wider = Enum.GetValues<CpuTier>().Where(t => t > backend.Tier && CpuTiers.IsSupported(t)).ToList();
        Assert.True(wider.Count == 0, $"default tier {backend.Tier}, but {string.Join(", ", wider)} is accelerated too");
    }

    [Fact]
    public void UnsupportedTierIsOneClearSentence()
    {
        var missing = Enum.GetValues<CpuTier>().Where(t => !CpuTiers.IsSupported(t)).Cast<CpuTier?>().FirstOrDefault();
        if (missing is not { } tier) tier = (CpuTier)(-1);
        var e = Assert.Throws<PlatformNotSupportedException>(() => new CpuBackend(tier));
        Assert.Contains(tier.ToString(), e.Message);
    }

    // 2x2 max windows per SIMD step: 8 with 256-bit vectors, 4 with 128-bit SSE ones, none on the scalar tier.
    [TierFact(CpuTier.Scalar)]
    public void ScalarMaxPoolingTakesNoVectors() => Assert.Equal(1, CpuBackend.MaxPoolingStep(CpuTier.Scalar));

    [TierFact(CpuTier.Vector128)]
    public void Vector128MaxPoolingTakesFourWindows() => Assert.Equal(Sse.IsSupported ? 4 : 1, CpuBackend.MaxPoolingStep(CpuTier.Vector128));

    [TierFact(CpuTier.Vector256)]
    public void Vector256MaxPoolingTakesEightWindows() => Assert.Equal(8, CpuBackend.MaxPoolingStep(CpuTier.Vector256));

    [TierFact(CpuTier.Vector512)]
    public void Vector512MaxPoolingTakesEightWindows() => Assert.Equal(8, CpuBackend.MaxPoolingStep(CpuTier.Vector512));

    [Fact]
    public void NoCpuCodeTakesTheWidestVectorsWhateverTheTier()
    {
        // TensorPrimitives and Vector<T> take the widest vectors the hardware has, and an instruction set's IsSupported
        // says nothing of the tier chosen: a backend made for a narrower tier must never reach them. The exceptions:
        // the exact half-precision conversions (any width gives the same bits), CPUID (X86Base), methods given a tier, and
        // SSE3's 128-bit horizontal add in the direct convolution's dot kernels, which only the vector tiers run.
        var calls = CpuCode().SelectMany(m => IlReader.Members(m).Select(member => (Method: m, Member: member))).ToList();
        var widest = calls.Where(c => TakesTheWidest(c.Member) && !Allowed(c.Method, c.Member))
            .Select(c => $"{c.Method.DeclaringType!.Name}.{c.Method.Name} uses {c.Member.DeclaringType!.Name}.{c.Member.Name}").Distinct().ToList();
        Assert.True(widest.Count == 0, "ignores the chosen tier:\n" + string.Join("\n", widest));
        // The check sees the calls it allows, so it reads the code it should.
        Assert.Contains(calls, c => c.Member.Name == "ConvertToHalf" && Allowed(c.Method, c.Member));
        Assert.Contains(calls, c => c.Member.Name == "get_IsSupported" && c.Method.Name == nameof(CpuBackend.MaxPoolingStep));
    }

    private static IEnumerable<MethodBase> CpuCode()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return typeof(CpuBackend).Assembly.GetTypes().Where(t => t.Namespace == typeof(CpuBackend).Namespace)
            .SelectMany(t => t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)));
    }

    private static bool TakesTheWidest(MemberInfo member) => member.DeclaringType is { } type &&
        (type.Name == "TensorPrimitives" || type.Namespace == "System.Numerics" && type.Name is "Vector" or "Vector`1" ||
         member.Name == "get_IsSupported" && type.Namespace?.StartsWith("System.Runtime.Intrinsics.", StringComparison.Ordinal) == true);

    private static bool Allowed(MethodBase method, MemberInfo member) =>
        member.Name is "ConvertToHalf" or "ConvertToSingle" ||
        member.DeclaringType!.Name == "X86Base" ||
        member.DeclaringType.Name == "Sse3" && method.DeclaringType == typeof(CpuBackend).Assembly.GetType("DeepGpu.Backends.Cpu.DirectConvolutionDotKernels") ||
        method.GetParameters().Any(p => p.ParameterType == typeof(CpuTier));

    /// <summary>The runtime switch that hides an instruction set, and the widest tier the backend may take without it.</summary>
    public static TheoryData<string, CpuTier> Switches => new()
    {
        { "DOTNET_EnableAVX512", CpuTier.Vector256 },
        { "DOTNET_EnableAVX2", CpuTier.Vector128 },
        { "DOTNET_EnableHWIntrinsic", CpuTier.Scalar },
    };

    [Theory, MemberData(nameof(Switches))]
    public void WithoutTheWiderInstructionsTheNarrowerTierRunsEveryOpRight(string variable, CpuTier widest)
    {
        var expected = (CpuTier)Math.Min((int)widest, (int)CpuTiers.Best);
        var (code, output, errors) = RunCheck(variable);
        // "checking cpu (N CPU threads, <tier>)" is the first line on stderr.
        var first = errors.Split('\n')[0].Trim();
        Assert.True(first.EndsWith($", {expected})", StringComparison.Ordinal), $"{variable}=0: expected the {expected} tier, the child said '{first}'");
        var checks = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var failed = checks.Where(c => !c.GetProperty("passed").GetBoolean()).Select(c => $"{c.GetProperty("op")} {c.GetProperty("case")}").ToList();
        Assert.True(checks.Count >= 40, $"{variable}=0: only {checks.Count} checks ran; stderr: {errors}");
        Assert.True(failed.Count == 0, $"{variable}=0 on {expected}: {string.Join("; ", failed)}");
        Assert.True(code == 0, $"{variable}=0: exit code {code}; stderr: {errors}");
    }

    /// <summary>Runs <c>deepgpu check --backend cpu --json</c> in a child process with <paramref name="variable"/>=0.</summary>
    private static (int Code, string Output, string Errors) RunCheck(string variable)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "deepgpu.dll"), "check", "--backend", "cpu", "--json" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment[variable] = "0";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var errors = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return (child.ExitCode, output, errors.Result);
    }
}
