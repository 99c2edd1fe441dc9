using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Ops;

/// <summary>The op suite on the managed cpu backend.</summary>
public sealed class CpuOpTests(CpuFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<CpuFixture>;

/// <summary>The op suite on ILGPU's CPU accelerator (the same kernels as CUDA and OpenCL, 4x4 tiles, 16-thread groups).</summary>
public sealed class IlgpuCpuOpTests(IlgpuCpuFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<IlgpuCpuFixture>
{
    protected override bool ShortShapes => true;
}

/// <summary>The op suite on the first CUDA device; skipped, with the reason, when there is none.</summary>
[RequiresDevice("cuda")]
public sealed class CudaOpTests(CudaFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<CudaFixture>
{
    protected override float Relaxation => 4f;
}

/// <summary>The op suite on the first OpenCL device ILGPU accepts; skipped, with the reason, when there is none.</summary>
[RequiresDevice("opencl")]
public sealed class OpenClOpTests(OpenClFixture fixture) : BackendOpTests(fixture.Backend), IClassFixture<OpenClFixture>
{
    protected override float Relaxation => 4f;
}
