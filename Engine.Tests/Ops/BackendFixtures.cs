using DeepGpu.Backends;
using DeepGpu.Backends.Ilgpu;

namespace DeepGpu.Tests.Ops;

/// <summary>One backend per test class, created on first use (so a class whose tests are all skipped never opens a device).</summary>
public abstract class BackendFixture : IDisposable
{
    private readonly Lazy<Backend> backend;

    protected BackendFixture(string name) : this(() => BackendFactory.Create(name)) { }

    protected BackendFixture(Func<Backend> create) => backend = new Lazy<Backend>(create);

    public Backend Backend => backend.Value;

    public void Dispose()
    {
        if (backend.IsValueCreated) backend.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class CpuFixture() : BackendFixture("cpu");
/// <summary>The simulator with ILGPU's assertions on; an out-of-bounds index is recorded by <see cref="TestSupport.KernelAssertions"/>.</summary>
public sealed class IlgpuCpuFixture() : BackendFixture(() => new IlgpuBackend("ilgpu-cpu", IlgpuGemm.Auto, gpuShapedCpu: false, assertions: true));
public sealed class CudaFixture() : BackendFixture("cuda");
public sealed class OpenClFixture() : BackendFixture("opencl");
