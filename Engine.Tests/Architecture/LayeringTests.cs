using System.Reflection;
using DeepGpu.Models;
using DeepGpu.Tests.TestSupport;
using Xunit;

namespace DeepGpu.Tests.Architecture;

/// <summary>
/// The folders of Engine depend one way, lower never on higher. Each folder is one namespace (checked below),
/// and every reference a compiled type makes (base types, interfaces, fields, signatures, locals, and every
/// type, method and field its IL touches, lambdas and iterators included) is checked against this order:
/// <list type="number">
/// <item>DeepGpu (the exception type), DeepGpu.IO (atomic file writes), DeepGpu.Kernels (its own assembly)</item>
/// <item>Tensors, Backends, Initializers (a layer's parameters name their init rule), Data (datasets as bytes)</item>
/// <item>Layers, Graph</item>
/// <item>Optimizers, Training</item>
/// <item>Models (the model: presets, plans, files)</item>
/// <item>Imaging, Reporting, Experiments, Diagnostics (features built on a model)</item>
/// </list>
/// Folders on one level may use each other. The CLI, benchmarks and tests are other assemblies, above all of it.
/// </summary>
public sealed class LayeringTests
{
    private static readonly string[][] _levels =
    [
        ["DeepGpu", "DeepGpu.IO", "DeepGpu.Kernels"],
        ["DeepGpu.Tensors", "DeepGpu.Backends", "DeepGpu.Initializers", "DeepGpu.Data"],
        ["DeepGpu.Layers", "DeepGpu.Graph"],
        ["DeepGpu.Optimizers", "DeepGpu.Training"],
        ["DeepGpu.Models"],
        ["DeepGpu.Imaging", "DeepGpu.Reporting", "DeepGpu.Experiments", "DeepGpu.Diagnostics"],
    ];

    private const BindingFlags Everything =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void NoFolderUsesAHigherOne()
    {
        var violations = UpwardReferences(typeof(Model).Assembly).Distinct().ToList();
        Assert.True(violations.Count == 0, $"{violations.Count} upward references:\n" + string.Join("\n", violations.Take(400)));
    }

    [Fact]
    public void TheCheckSeesEveryKindOfReference()
    {
        // This test assembly sits on no level; pretend its namespace is the lowest and read its probes.
        var found = References(typeof(Probes)).Where(r => r.Namespace == "DeepGpu.Models").Select(r => r.Via).ToHashSet();
        foreach (var via in new[] { "field", "signature", "base", "IL", "local" })
        {
            Assert.True(found.Contains(via), $"a reference by {via} was not seen (seen: {string.Join(", ", found)})");
        }
        // A lambda's body is a method of a compiler-made nested type, which the assembly's type list holds too.
        var lambda = typeof(Probes.Lambda).GetNestedTypes(Everything).SelectMany(References);
        Assert.Contains("IL", lambda.Where(r => r.Namespace == "DeepGpu.Models").Select(r => r.Via));
    }

    [Fact]
    public void EachFolderIsItsNamespace()
    {
        var engine = Path.Combine(RepositoryRoot(), "Engine");
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(engine, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal)) continue;
            var declared = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal));
            if (declared is null) continue;
            var folders = Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var expected = "DeepGpu" + (folders.Length == 0 ? "" : "." + folders[0]);
            var actual = declared["namespace ".Length..].TrimEnd(';', ' ');
            if (actual != expected && !actual.StartsWith(expected + ".", StringComparison.Ordinal)) wrong.Add($"{relative} declares {actual}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void NoMutableStatics()
    {
        // Per-thread scratch buffers are the one exception: each thread sees only its own.
        var mutable = typeof(Model).Assembly.GetTypes()
            .Where(t => !t.Name.Contains('<') && !t.FullName!.Contains('<'))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => !f.IsInitOnly && !f.IsLiteral && !f.IsDefined(typeof(ThreadStaticAttribute)) && !f.Name.Contains('<'))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}")
            .Concat(typeof(Model).Assembly.GetTypes()
                .SelectMany(t => t.GetProperties(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                .Where(p => p.SetMethod is not null)
                .Select(p => $"{p.DeclaringType!.FullName}.{p.Name} {{ set; }}"))
            .ToList();
        Assert.True(mutable.Count == 0, "mutable statics: " + string.Join(", ", mutable));
    }

    internal static IEnumerable<string> UpwardReferences(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            var from = Level(type.Namespace);
            foreach (var (ns, what, via) in References(type))
            {
                var to = Level(ns);
                if (to > from) yield return $"{type.FullName} (level {from}) uses {what} of {ns} (level {to}) by {via}";
            }
        }
    }

    /// <summary>The level of a DeepGpu namespace; −1 for everything outside the engine (System, ILGPU, ...).</summary>
    private static int Level(string? ns)
    {
        if (ns is null || !ns.StartsWith("DeepGpu", StringComparison.Ordinal)) return -1;
        for (var level = _levels.Length - 1; level >= 0; level--)
        {
            // The longest match wins: DeepGpu.Backends.Cpu is Backends, DeepGpu itself is the root.
            if (_levels[level].Any(n => n != "DeepGpu" && (ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal)))) return level;
        }
        if (ns == "DeepGpu") return 0;
        throw new InvalidOperationException($"Namespace {ns} has no level: add it to LayeringTests.Levels.");
    }

    private static IEnumerable<(string? Namespace, string What, string Via)> References(Type type)
    {
        IEnumerable<(Type, string)> Named()
        {
            if (type.BaseType is not null) yield return (type.BaseType, "base");
            foreach (var i in type.GetInterfaces()) yield return (i, "base");
            foreach (var a in type.GetCustomAttributesData()) yield return (a.AttributeType, "attribute");
            foreach (var f in type.GetFields(Everything)) yield return (f.FieldType, "field");
            foreach (var p in type.GetProperties(Everything)) yield return (p.PropertyType, "signature");
            foreach (var m in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
            {
                if (m is MethodInfo mi) yield return (mi.ReturnType, "signature");
                foreach (var p in m.GetParameters()) yield return (p.ParameterType, "signature");
                var body = m.GetMethodBody();
                if (body is null) continue;
                foreach (var local in body.LocalVariables) yield return (local.LocalType, "local");
                foreach (var t in IlReferences(m)) yield return (t, "IL");
            }
        }
        foreach (var (t, via) in Named())
        {
            foreach (var part in Parts(t)) yield return (part.Namespace, part.Name, via);
        }
    }

    /// <summary>A type and everything it is made of: element types and generic arguments.</summary>
    private static IEnumerable<Type> Parts(Type t)
    {
        if (t.HasElementType) return Parts(t.GetElementType()!);
        if (t.IsGenericParameter) return [];
        if (!t.IsGenericType) return [Outermost(t)];
        return t.GetGenericArguments().SelectMany(Parts).Append(Outermost(t.GetGenericTypeDefinition()));
    }

    private static Type Outermost(Type t) => t.DeclaringType is null || t.IsGenericParameter ? t : Outermost(t.DeclaringType);

    /// <summary>The types behind every token in a method's IL (calls, field accesses, new objects, casts, ldtoken).</summary>
    private static IEnumerable<Type> IlReferences(MethodBase method)
    {
        foreach (var member in IlReader.Members(method))
        {
            if (member is Type t) yield return t;
            else if (member.DeclaringType is not null) yield return member.DeclaringType;
            if (member is MethodInfo { IsGenericMethod: true } g)
            {
                foreach (var a in g.GetGenericArguments()) yield return a;
            }
            if (member is FieldInfo fi) yield return fi.FieldType;
        }
    }

    private static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "DeepGpu.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("No DeepGpu.sln above the tests.");
        return dir;
    }

    // One reference of each kind to a Models type, for TheCheckSeesEveryKindOfReference.
    private sealed class Probes : IEquatable<ClassProbability>
    {
        public bool Equals(ClassProbability other) => false;

        private readonly Model? _field = null;

        public bool HasModel => _field is not null;

        public ClassProbability Signature(Prediction p) => p.Top[0];

        public static string Il() => Model.FormatVersion.ToString() + typeof(Networks).Name + Networks.Names.Count;

        public static int Local()
        {
            Networks.Names.ToString();
            ClassProbability local = default;
            return local.Label?.Length ?? 0;
        }

        public sealed class Lambda
        {
            public Func<int> Make() => () => Networks.Names.Count;
        }
    }
}
