using System.Globalization;
using CameSharp.Tests.Checkpoints;

namespace CameSharp.Tests;

/// <summary>
/// The test assembly's entry point, which the test host never calls. With arguments it is a child process for tests
/// that must kill one: <c>dotnet CameSharp.Tests.dll save-until-killed PATH MEGABYTES PAUSE-AT</c> (see <see cref="KilledSaveTests"/>).
/// </summary>
internal static class Program
{
    public static int Main(string[] args) => args switch
    {
        ["save-until-killed", var path, var megabytes, var pauseAt] =>
            KilledSaveTests.SaveUntilKilled(path, int.Parse(megabytes, CultureInfo.InvariantCulture), int.Parse(pauseAt, CultureInfo.InvariantCulture)),
        _ => 2,
    };
}
