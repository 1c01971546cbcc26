using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SimCluster.Cli.Reports;

/// <summary>Reading report.json values whether they were parsed from a file or built in code (where 3 is an int, not a double).</summary>
internal static class ReportJson
{
    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;
}
