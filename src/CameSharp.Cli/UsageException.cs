namespace CameSharp.Cli;

/// <summary>A problem with what the user asked for (a flag, a data file): reported in one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
