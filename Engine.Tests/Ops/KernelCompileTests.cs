using System.Reflection;
using DeepGpu.Kernels;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>
/// Compiles every kernel of Engine.Kernels (each generic one for every config and functor struct) to PTX (sm_80,
/// PTX ISA 8.8, what an H100 gets) and to OpenCL C 2.0, with no device: catches what only the GPU back ends reject
/// (a missing intrinsic, a non-constant shared-memory size) on a machine without a GPU. Each kernel gets a fresh
/// context, since a failed compile poisons one.
/// </summary>
public sealed class KernelCompileTests
{
    private static readonly Type[] _kernelClasses =
    [
        typeof(GemmKernels), typeof(ElementwiseKernels), typeof(ReductionKernels), typeof(BiasKernels), typeof(SoftmaxKernels),
        typeof(OptimizerKernels), typeof(DataKernels), typeof(DropoutKernels), typeof(PrecisionKernels), typeof(ConvolutionKernels),
        typeof(PoolingKernels), typeof(BatchNormKernels),
    ];

    /// <summary>Every kernel entry point: public static void methods, generic ones closed over each matching struct.</summary>
    public static IEnumerable<MethodInfo> Kernels()
    {
        var structs = typeof(GemmKernels).Assembly.GetTypes().Where(t => t.IsValueType && t.IsPublic && !t.IsEnum).ToArray();
        foreach (var type in _kernelClasses)
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.ReturnType != typeof(void)) continue;
                if (!method.IsGenericMethodDefinition)
                {
                    yield return method;
                    continue;
                }
                var constraint = method.GetGenericArguments()[0].GetGenericParameterConstraints().Single(c => c.IsInterface);
                foreach (var s in structs.Where(constraint.IsAssignableFrom)) yield return method.MakeGenericMethod(s);
            }
        }
    }

    public static IEnumerable<object[]> KernelNames() => Kernels().Select(m => new object[] { Describe(m) });

    private static string Describe(MethodInfo m) =>
        $"{m.DeclaringType!.Name}.{m.Name}" + (m.IsGenericMethod ? $"<{string.Join(",", m.GetGenericArguments().Select(a => a.Name))}>" : "");

    private static MethodInfo Find(string name) => Kernels().Single(m => Describe(m) == name);

    private static EntryPointDescription EntryPoint(MethodInfo m)
    {
        var parameters = m.GetParameters();
        return parameters.Length > 0 && parameters[0].ParameterType == typeof(Index1D)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(m)
            : EntryPointDescription.FromExplicitlyGroupedKernel(m);
    }

    [Fact]
    public void EveryKernelClassHasKernels()
    {
        foreach (var type in _kernelClasses) Assert.Contains(Kernels(), m => m.DeclaringType == type);
        Assert.Contains(Kernels(), m => Describe(m) == "GemmKernels.Register<Tile16>");
    }

    /// <summary>The PTX of one kernel (sm_80, PTX ISA 8.8: what an H100 or H200 gets from ILGPU 1.5.3).</summary>
    public static string Ptx(string kernel)
    {
        using var context = Context.Create(b => b.EnableAlgorithms());
        var architecture = CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_88, null);
        return Assert.IsType<PTXCompiledKernel>(backend.Compile(EntryPoint(Find(kernel)), KernelSpecialization.Empty)).PTXAssembly;
    }

    /// <summary>The OpenCL C 2.0 source of one kernel, for a device without fp64, subgroups or 64-bit atomics.</summary>
    public static string OpenClC(string kernel)
    {
        using var context = Context.Create(b => b.EnableAlgorithms());
        var capabilities = new CLCapabilityContext(false, false, false, false, false);
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);
        return Assert.IsType<CLCompiledKernel>(backend.Compile(EntryPoint(Find(kernel)), KernelSpecialization.Empty)).Source;
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void CompilesToPtx(string kernel)
    {
        var ptx = Ptx(kernel);
        Assert.Contains(".entry", ptx);
        if (EntryPoint(Find(kernel)).IndexType != IndexType.Index1D)
        {
            // The explicitly grouped kernels are the shared-memory ones: tiles and group sums with barriers.
            Assert.Contains(".shared", ptx);
            Assert.Contains("bar.sync", ptx);
        }
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void CompilesToOpenClC(string kernel) => Assert.Contains("kernel", OpenClC(kernel));

    [Fact]
    public void CounterRngUniformIsTheTop24BitsOverTwoTo24()
    {
        for (ulong counter = 0; counter < 4096; counter++)
        {
            var bits = CounterRng.Next(17, counter) >> 40;
            Assert.Equal((float)(bits / 16777216.0), CounterRng.Uniform(17, counter));
        }
    }
}
