using System.Reflection;
using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// A condition a test class needs. Tests declared with <see cref="OpFactAttribute"/> or <see cref="OpTheoryAttribute"/>
/// (typically in an abstract base class) are reported as skipped, with the reason, in every class whose condition
/// does not hold.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public abstract class ClassRequirementAttribute : Attribute
{
    /// <summary>Null when the condition holds, else why the class's tests are skipped.</summary>
    public abstract string? SkipReason();

    /// <summary>Null when the class has no requirement or it holds, else why its tests are skipped.</summary>
    public static string? SkipReason(Type testClass) => testClass.GetCustomAttribute<ClassRequirementAttribute>()?.SkipReason();

    internal static string? SkipReason(ITestMethod method) =>
        method.TestClass.Class is IReflectionTypeInfo info ? SkipReason(info.Type) : null;
}

/// <summary>Marks a test class that needs a device for one backend, as <see cref="BackendFactory.Probe"/> reports it.</summary>
public sealed class RequiresDeviceAttribute(string backend) : ClassRequirementAttribute
{
    public string Backend { get; } = backend;

    public override string? SkipReason()
    {
        var devices = BackendFactory.Probe().Where(d => d.Backend == Backend).ToList();
        if (devices.Any(d => d.Accepted)) return null;
        var label = Backend == "cuda" ? "CUDA" : Backend == "opencl" ? "OpenCL" : Backend;
        var why = string.Join("; ", devices.Select(d => d.Reason));
        return $"no {label} device" + (why.Length > 0 ? $": {why}" : "");
    }
}

/// <summary>Marks a test class that runs the cpu backend on one SIMD tier, which this CPU may not accelerate.</summary>
public sealed class RequiresCpuTierAttribute(CpuTier tier) : ClassRequirementAttribute
{
    public CpuTier Tier { get; } = tier;

    public override string? SkipReason() => CpuTiers.IsSupported(Tier) ? null : $"this CPU does not accelerate the {Tier} tier.";
}

/// <summary>A fact that is skipped visibly when its class's requirement does not hold.</summary>
[XunitTestCaseDiscoverer("DeepGpu.Tests.TestSupport.OpFactDiscoverer", "DeepGpu.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpFactAttribute : FactAttribute;

/// <summary>A theory that is skipped visibly when its class's requirement does not hold.</summary>
[XunitTestCaseDiscoverer("DeepGpu.Tests.TestSupport.OpTheoryDiscoverer", "DeepGpu.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpTheoryAttribute : TheoryAttribute;

public sealed class OpFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        RequirementSkippedTestCase.Or(DiagnosticMessageSink, discoveryOptions, testMethod, () => base.Discover(discoveryOptions, testMethod, factAttribute));
}

public sealed class OpTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        RequirementSkippedTestCase.Or(DiagnosticMessageSink, discoveryOptions, testMethod, () => base.Discover(discoveryOptions, testMethod, theoryAttribute));
}

/// <summary>A test case reported as skipped because its class's requirement does not hold.</summary>
public sealed class RequirementSkippedTestCase : XunitTestCase
{
    private string _reason = "";

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public RequirementSkippedTestCase() { }

    public RequirementSkippedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method, string reason)
        : base(sink, display, options, method) => _reason = reason;

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    /// <summary>One skipped case with the reason when the test's class has an unmet requirement, else what <paramref name="discover"/> finds.</summary>
    public static IEnumerable<IXunitTestCase> Or(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, Func<IEnumerable<IXunitTestCase>> discover)
    {
        var reason = ClassRequirementAttribute.SkipReason(method);
        return reason is null
            ? discover()
            : [new RequirementSkippedTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, reason)];
    }

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("SkipReason", _reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("SkipReason");
        base.Deserialize(data);
    }
}
