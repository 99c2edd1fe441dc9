using System.Reflection;
using System.Reflection.Emit;

namespace DeepGpu.Tests.TestSupport;

/// <summary>Reads a compiled method's IL for the members it touches (calls, field accesses, new objects, casts, ldtoken).</summary>
internal static class IlReader
{
    private static readonly Dictionary<short, OpCode> _opCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every member a token in <paramref name="method"/>'s body names; nothing for a method without a body.</summary>
    public static IEnumerable<MemberInfo> Members(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var found = new List<MemberInfo>();
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = _opCodesByValue[value];
            i += op.Size;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    if (module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs) is { } member) found.Add(member);
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    i += 4;
                    break;
            }
        }
        return found;
    }
}
