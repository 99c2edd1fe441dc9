using System.Text.RegularExpressions;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>
/// Reads the code every kernel compiles to, without a GPU: the PTX must keep everything in registers and shared
/// memory (no <c>.local</c> arrays, which live in slow off-chip memory), do float work in float (no <c>f64</c>:
/// doubles run at a fraction of the float rate, and OpenCL devices without fp64 reject them), and stay within
/// the 48 KB of static shared memory every CUDA device gives a block without opting in. The OpenCL C must be
/// accepted by a real OpenCL C 2.0 compiler (clang), as a driver would compile it.
/// </summary>
/// <remarks>
/// The PTX is what ILGPU emits; register spills that ptxas adds later are not visible in it, only local arrays
/// the kernel itself asks for.
/// </remarks>
public sealed partial class KernelCodeTests
{
    /// <summary>Static shared memory every CUDA device allows a block (more needs a per-kernel opt-in).</summary>
    private const int SharedMemoryLimit = 48 * 1024;

    [Theory]
    [MemberData(nameof(KernelCompileTests.KernelNames), MemberType = typeof(KernelCompileTests))]
    public void PtxHasNoLocalMemoryNoDoublesAndFitsSharedMemory(string kernel)
    {
        var ptx = KernelCompileTests.Ptx(kernel);
        var lines = ptx.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith("//", StringComparison.Ordinal)).ToList();
        var local = lines.Where(l => l.Contains(".local", StringComparison.Ordinal)).ToList();
        Assert.True(local.Count == 0, $"{kernel} uses local memory: {string.Join(" | ", local.Take(3))}");
        var doubles = lines.Where(l => F64().IsMatch(l)).ToList();
        Assert.True(doubles.Count == 0, $"{kernel} computes in double: {string.Join(" | ", doubles.Take(3))}");
        var shared = lines.Select(l => SharedDeclaration().Match(l)).Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value));
        Assert.True(shared <= SharedMemoryLimit, $"{kernel} declares {shared} bytes of static shared memory, over {SharedMemoryLimit}");
    }

    [Fact]
    public void SharedMemoryDeclarationsAreFoundInTheTiledGemm()
    {
        // The parser above must see the GEMM's two tiles, or the 48 KB check proves nothing.
        var ptx = KernelCompileTests.Ptx("GemmKernels.Register<Tile16>");
        var bytes = ptx.Split('\n').Select(l => SharedDeclaration().Match(l.Trim())).Where(m => m.Success).Sum(m => long.Parse(m.Groups[1].Value));
        Assert.True(bytes >= 2 * 4 * 4 * 256, $"found {bytes} bytes of shared memory declarations");
    }

    /// <summary>The wide GEMM's loads are 16-byte vectors: global A and B tiles, and the four shared fragments of a k step.</summary>
    [Fact]
    public void WideGemmLoadsVectors()
    {
        var lines = KernelCompileTests.Ptx("GemmKernels.Wide").Split('\n').Select(l => l.Trim()).ToList();
        var vectorLoads = lines.Where(l => l.StartsWith("ld.", StringComparison.Ordinal) && l.Contains(".v4.f32", StringComparison.Ordinal)).ToList();
        var shared = vectorLoads.Count(l => l.StartsWith("ld.shared.", StringComparison.Ordinal));
        Assert.True(vectorLoads.Count - shared >= 2, $"{vectorLoads.Count - shared} global vector loads in the wide GEMM's PTX: {string.Join(" | ", lines.Where(l => l.StartsWith("ld.", StringComparison.Ordinal)).Take(12))}");
        Assert.True(shared >= 4, $"{shared} shared vector loads in the wide GEMM's PTX");
    }

    [OpenClCompilerTheory]
    [MemberData(nameof(KernelCompileTests.KernelNames), MemberType = typeof(KernelCompileTests))]
    public void OpenClCCompilesWithClang(string kernel)
    {
        var (code, output) = OpenClCompiler.Check(KernelCompileTests.OpenClC(kernel));
        Assert.True(code == 0, $"clang rejected the OpenCL C of {kernel}:\n{output}");
    }

    /// <summary>The same command rejects OpenCL C that is wrong, so a pass above means something.</summary>
    [OpenClCompilerFact]
    public void ClangRejectsBrokenOpenClC()
    {
        var (code, output) = OpenClCompiler.Check("kernel void k(global float* x) { x[get_global_id(0)] = undefined_function(1.0f); }");
        Assert.True(code != 0, $"clang accepted a call to an undeclared function: {output}");
        Assert.Contains("undefined_function", output);
    }

    [GeneratedRegex(@"\.f64\b|\.b64\s.*\bfd\d|%fd\d")]
    private static partial Regex F64();

    [GeneratedRegex(@"^\.shared\s.*\[(\d+)\]")]
    private static partial Regex SharedDeclaration();
}
