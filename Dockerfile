# Credits as a container image: built with the .NET SDK, run on the ASP.NET runtime image as a
# non-root user. docs/deploy.md explains each choice; tests/Credits.Tests/Deploy/DockerfileTests
# runs this file's build commands and starts the result as this image would.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so a change to the code does not download the packages again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Credits.Ledger/Credits.Ledger.csproj src/Credits.Ledger/
COPY src/Credits/Credits.csproj src/Credits/
RUN dotnet restore src/Credits/Credits.csproj -r linux-x64 -p:PublishReadyToRun=true
COPY src/ src/
RUN dotnet publish src/Credits/Credits.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The SQLite database and generated secrets live here when DATABASE_URL is not set.
RUN mkdir -p /data && chown "$APP_UID" /data && chmod 700 /data
ENV PATH="/app:${PATH}" \
    PORT=8080 \
    CREDITS_DATA_DIR=/data \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
VOLUME /data
EXPOSE 8080
# `app` (uid 1654), the unprivileged user of Microsoft's .NET images.
USER $APP_UID
# A command rather than an entry point, so `credits migrate` (Render's preDeployCommand) and
# `docker run IMAGE credits verify` run as written.
CMD ["credits", "serve"]
