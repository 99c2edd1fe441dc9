using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using DeepGpu.Backends.Ilgpu;

namespace DeepGpu.Tests.Ops;

/// <summary>One backend per test class, created on first use (so a class whose tests are all skipped never opens a device).</summary>
public abstract class BackendFixture : IDisposable
{
    private readonly Lazy<Backend> _backend;

    protected BackendFixture(Func<Backend> create) => _backend = new Lazy<Backend>(create);

    protected BackendFixture(string name) : this(() => BackendFactory.Create(name)) { }

    public Backend Backend => _backend.Value;

    public void Dispose()
    {
        if (_backend.IsValueCreated) _backend.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class CpuFixture() : BackendFixture("cpu");
public sealed class CpuScalarFixture() : BackendFixture(() => new CpuBackend(CpuTier.Scalar));
public sealed class CpuVector128Fixture() : BackendFixture(() => new CpuBackend(CpuTier.Vector128));
public sealed class CpuVector256Fixture() : BackendFixture(() => new CpuBackend(CpuTier.Vector256));
public sealed class CpuVector512Fixture() : BackendFixture(() => new CpuBackend(CpuTier.Vector512));
/// <summary>The simulator with ILGPU's assertions on; an out-of-bounds index is recorded by <see cref="TestSupport.KernelAssertions"/>.</summary>
public sealed class IlgpuCpuFixture() : BackendFixture(() => new IlgpuBackend("ilgpu-cpu", IlgpuGemm.Auto, gpuShapedCpu: false, assertions: true));
/// <summary>The simulator splitting every GEMM longer than 8 in K into slices of 8 (two K steps), then adding them.</summary>
public sealed class IlgpuCpuSplitKFixture() : BackendFixture(() =>
    new IlgpuBackend("ilgpu-cpu", IlgpuGemm.Auto, gpuShapedCpu: false, assertions: true, forcedSliceK: 8));
public sealed class CudaFixture() : BackendFixture("cuda");
public sealed class OpenClFixture() : BackendFixture("opencl");
