using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using DeepGpu.Backends.Cpu;
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

    [Fact]
    public void MaxPoolingRowsAreNoWiderThanTheTier()
    {
        // 2x2 windows per SIMD step: 8 with 256-bit vectors, 4 with 128-bit SSE ones, none on the scalar tier.
        Assert.Equal(1, CpuBackend.MaxPoolingStep(CpuTier.Scalar));
        foreach (var tier in Enum.GetValues<CpuTier>().Where(t => t != CpuTier.Scalar && CpuTiers.IsSupported(t)))
        {
            Assert.Equal(tier == CpuTier.Vector128 ? (Sse.IsSupported ? 4 : 1) : 8, CpuBackend.MaxPoolingStep(tier));
        }
    }

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
