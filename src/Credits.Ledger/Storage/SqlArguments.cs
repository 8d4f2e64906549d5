using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Credits.Ledger.Storage;

/// <summary>
/// Binds an arguments object (anonymous or not) to the <c>@name</c> parameters its SQL uses, for
/// the statements that bypass Dapper (pipelined batches, cached prepared commands). Like Dapper,
/// only the names the SQL mentions are bound, and a null is typed from its property so the
/// database never has to guess it. Bindings are worked out once per SQL text and type.
/// </summary>
internal static partial class SqlArguments
{
    private static readonly ConcurrentDictionary<(string Sql, Type Type), Plan> Plans = new();

    /// <summary>Adds a parameter named after each <c>@name</c> the SQL uses.</summary>
    public static void Bind(DbParameterCollection parameters, Func<DbParameter> create, string sql, object? args)
    {
        if (args is not null)
        {
            Add(parameters, create, PlanFor(sql, args), args, named: true);
        }
    }

    /// <summary>
    /// Adds unnamed parameters in order and returns the SQL with <c>$1, $2…</c> in place of the
    /// names. Npgsql sends such SQL as it is instead of parsing it on every execution
    /// (<c>SqlQueryParser.ParseRawQuery</c> was 6 % of the server's CPU on the webhook path).
    /// </summary>
    public static string BindPositional(DbParameterCollection parameters, Func<DbParameter> create, string sql, object? args)
    {
        if (args is null)
        {
            return sql;
        }
        var plan = PlanFor(sql, args);
        Add(parameters, create, plan, args, named: false);
        return plan.PositionalSql;
    }

    private static Plan PlanFor(string sql, object args) => Plans.GetOrAdd((sql, args.GetType()), static key => MakePlan(key.Sql, key.Type));

    private static void Add(DbParameterCollection parameters, Func<DbParameter> create, Plan plan, object args, bool named)
    {
        foreach (var binding in plan.Bindings)
        {
            var parameter = create();
            if (named)
            {
                parameter.ParameterName = binding.Name;
            }
            var value = binding.Get(args);
            if (value is null)
            {
                parameter.DbType = binding.NullType;
                parameter.Value = DBNull.Value;
            }
            else
            {
                parameter.Value = value is Enum ? Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType())) : value;
            }
            parameters.Add(parameter);
        }
    }

    private static Plan MakePlan(string sql, Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var names = ParameterName().Matches(sql).Select(m => m.Groups[1].Value).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        Binding[] bindings = [.. names.Select(name =>
            properties.TryGetValue(name, out var property)
                ? new Binding(name, Getter(type, property), NullType(property.PropertyType))
                : throw new InvalidOperationException($"The SQL uses @{name} but {type.Name} has no such property."))];
        var positions = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i + 1, StringComparer.OrdinalIgnoreCase);
        var positional = ParameterName().Replace(sql, m => "$" + positions[m.Groups[1].Value].ToString(CultureInfo.InvariantCulture));
        return new Plan(positional, bindings);
    }

    /// <summary>A compiled <c>args => (object)((T)args).Property</c>: reflection's GetValue showed in the profile.</summary>
    private static Func<object, object?> Getter(Type type, PropertyInfo property)
    {
        var args = Expression.Parameter(typeof(object));
        var read = Expression.Property(Expression.Convert(args, type), property);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), args).Compile();
    }

    private static DbType NullType(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(long) => DbType.Int64,
        var t when t == typeof(int) => DbType.Int32,
        var t when t == typeof(bool) => DbType.Boolean,
        var t when t == typeof(double) => DbType.Double,
        var t when t == typeof(decimal) => DbType.Decimal,
        var t when t.IsEnum => DbType.Int32,
        _ => DbType.String,
    };

    [GeneratedRegex(@"(?<![@\w])@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ParameterName();

    private sealed record Binding(string Name, Func<object, object?> Get, DbType NullType);

    private sealed record Plan(string PositionalSql, Binding[] Bindings);
}
