# The front door image (Blazor dashboard + JSON API, an Orleans client). Build from the repository root:
#   docker build -f deploy/frontdoor.Dockerfile -t orleansguarantee/frontdoor:1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props OrleansGuarantee.sln ./
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Dashboard/ Dashboard/
RUN dotnet publish Dashboard/Dashboard.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Dashboard.dll"]
