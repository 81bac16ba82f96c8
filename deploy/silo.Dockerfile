# The silo image. Build from the repository root:
#   docker build -f deploy/silo.Dockerfile -t orleansguarantee/silo:1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props OrleansGuarantee.sln ./
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY Silo/ Silo/
RUN dotnet publish Silo/Silo.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
# Silo-to-silo and gateway ports (Orleans defaults).
EXPOSE 11111 30000
USER $APP_UID
ENTRYPOINT ["dotnet", "Silo.dll"]
