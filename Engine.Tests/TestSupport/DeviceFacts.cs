using System.Reflection;
using DeepGpu.Backends;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// Marks a test class that needs a device for one backend. Tests declared with <see cref="OpFactAttribute"/> or
/// <see cref="OpTheoryAttribute"/> (typically in an abstract base class) are reported as skipped, with the
/// reason, in every class marked with a backend whose device <see cref="BackendFactory.Probe"/> did not accept.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresDeviceAttribute(string backend) : Attribute
{
    public string Backend { get; } = backend;

    /// <summary>Null when the backend has an accepted device, else why its tests are skipped.</summary>
    public static string? SkipReason(Type testClass)
    {
        var required = testClass.GetCustomAttribute<RequiresDeviceAttribute>();
        if (required is null) return null;
        var devices = BackendFactory.Probe().Where(d => d.Backend == required.Backend).ToList();
        if (devices.Any(d => d.Accepted)) return null;
        var label = required.Backend == "cuda" ? "CUDA" : required.Backend == "opencl" ? "OpenCL" : required.Backend;
        var why = string.Join("; ", devices.Select(d => d.Reason));
        return $"no {label} device" + (why.Length > 0 ? $": {why}" : "");
    }

    internal static string? SkipReason(ITestMethod method) =>
        method.TestClass.Class is IReflectionTypeInfo info ? SkipReason(info.Type) : null;
}

/// <summary>A fact that is skipped visibly when its class needs a device that is not there.</summary>
[XunitTestCaseDiscoverer("DeepGpu.Tests.TestSupport.OpFactDiscoverer", "DeepGpu.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpFactAttribute : FactAttribute;

/// <summary>A theory that is skipped visibly when its class needs a device that is not there.</summary>
[XunitTestCaseDiscoverer("DeepGpu.Tests.TestSupport.OpTheoryDiscoverer", "DeepGpu.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpTheoryAttribute : TheoryAttribute;

public sealed class OpFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var reason = RequiresDeviceAttribute.SkipReason(testMethod);
        return reason is null
            ? base.Discover(discoveryOptions, testMethod, factAttribute)
            : [new DeviceSkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
    }
}

public sealed class OpTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute)
    {
        var reason = RequiresDeviceAttribute.SkipReason(testMethod);
        return reason is null
            ? base.Discover(discoveryOptions, testMethod, theoryAttribute)
            : [new DeviceSkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
    }
}

/// <summary>A test case reported as skipped because its device is missing.</summary>
public sealed class DeviceSkippedTestCase : XunitTestCase
{
    private string reason = "";

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeviceSkippedTestCase() { }

    public DeviceSkippedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method, string reason)
        : base(sink, display, options, method) => this.reason = reason;

    protected override string GetSkipReason(IAttributeInfo factAttribute) => reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("DeviceSkipReason", reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        reason = data.GetValue<string>("DeviceSkipReason");
        base.Deserialize(data);
    }
}
