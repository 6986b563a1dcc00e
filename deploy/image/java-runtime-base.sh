#!/usr/bin/env bash
# Builds the base image under Keyhold's container images without a registry or a Docker engine: a Java runtime
# jlink-ed from the JDK running the build (only the modules the application uses), the shared libraries that
# runtime loads, copied from this machine (glibc, libstdc++, libgcc, zlib), a passwd entry for the non-root user
# 65532, its home, the gateway's data folder owned by it, and /tmp. It is written as a `docker save` tarball,
# which Jib takes as its base image (`from.image = tar://...`, see the parent pom) and puts the application on.
#
# Maven runs it in the package phase of the gateway and the merchant-adapters modules. Linux only; any user (the
# ownership of the image's files is set in the tarball, not on disk).
#
# usage: JAVA_HOME=/path/to/jdk java-runtime-base.sh OUTPUT_TAR APP_JAR [EXTRA_MODULES]
#   APP_JAR        the application's runnable (shaded) jar: jdeps lists the JDK modules it uses
#   EXTRA_MODULES  comma-separated modules that jdeps cannot see because nothing names them in code (service
#                  providers such as jdk.crypto.ec: TLS key exchange and Ed25519 signatures)
set -euo pipefail

die() { echo "java-runtime-base: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: JAVA_HOME=... $0 OUTPUT_TAR APP_JAR [EXTRA_MODULES]"
out=$1 jar=$2 extra=${3:-}
java_home=${JAVA_HOME:?JAVA_HOME must name the JDK whose runtime goes into the image}
[[ "$(uname -s)" == Linux ]] || die "the image holds Linux binaries of this machine: build it on Linux"
[[ -f "$jar" ]] || die "no application jar at $jar"
[[ -d "$java_home/jmods" ]] || die "$java_home has no jmods/, which jlink needs (Debian: apt-get install openjdk-17-jdk-headless)"
command -v ldd >/dev/null || die "ldd is needed to find the runtime's shared libraries"

# The user the images run as: not root, and a number, so a platform can check it without reading /etc/passwd.
uid=65532
# Native parts of java.desktop for screens, fonts, images and sound: they pull in X11 and font libraries, and a
# server never loads them (java.desktop itself stays, for java.beans).
desktop_natives='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/libjavajpeg.so,**/liblcms.so'

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) die "no image architecture known for $(uname -m)" ;;
esac

mkdir -p "$(dirname "$out")"
work=$(cd "$(dirname "$out")" && pwd)/$(basename "$out" .tar).work
rm -rf "$work"
root=$work/rootfs
mkdir -p "$root"

release=$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
runtime=$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
modules=$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$release" "$jar")
[[ -n "$extra" ]] && modules="$modules,$extra"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --exclude-files="$desktop_natives" --output "$root/opt/java"

# Every library the runtime's programs and native parts load, at the path the dynamic linker finds it on this
# machine. libjvm.so is the runtime's own (found through the launcher), so ldd cannot resolve it alone.
libraries=$(
  find "$root/opt/java" -type f \( -name '*.so' -o -perm -u+x \) | while read -r file; do
    [[ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" == '177ELF' ]] || continue
    ldd "$file" | awk -v file="$file" -v root="$root/" '
      /not found/ { if ($1 != "libjvm.so") { print "MISSING " $1 " for " file }; next }
      $2 == "=>" && $3 ~ /^\// { if (index($3, root) != 1) print $3; next }
      $1 ~ /^\// { print $1 }'
  done | sort -u)
if grep -q '^MISSING' <<<"$libraries"; then
  die "$(grep '^MISSING' <<<"$libraries" | head -5)"
fi
listing=$root/usr/share/doc/keyhold-java-runtime/libraries.txt
mkdir -p "$(dirname "$listing")"
{
  echo "# Shared libraries copied from the build machine into this image, with the Debian package each came from."
  echo "# Java runtime: $runtime, jlink-ed with modules $modules."
} >"$listing"
while read -r library; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
  chmod 0755 "$root$library"
  package=$( (dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null || true) | head -1 | cut -d: -f1)
  version=$( [[ -n "$package" ]] && dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)
  echo "$library ${package:-unknown} ${version:-unknown}" >>"$listing"
  # Their licences travel with them (glibc and libstdc++ are LGPL/GPL with exceptions: the text must ship).
  if [[ -n "$package" && -f "/usr/share/doc/$package/copyright" ]]; then
    mkdir -p "$root/usr/share/doc/$package"
    cp "/usr/share/doc/$package/copyright" "$root/usr/share/doc/$package/copyright"
  fi
done <<<"$libraries"

# LANG=C.UTF-8 (in the image's environment) makes UTF-8 the JVM's default charset and file-name encoding, and
# glibc reads that locale from here (Debian's libc-bin); without it the JVM falls back to ASCII.
[[ -d /usr/lib/locale/C.utf8 ]] || die "no C.UTF-8 locale at /usr/lib/locale/C.utf8 (Debian: libc-bin)"
mkdir -p "$root/usr/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
chmod -R a+rX,go-w "$root/usr/lib/locale"
echo "/usr/lib/locale/C.utf8 libc-bin $(dpkg-query -W -f='${Version}' libc-bin 2>/dev/null || echo unknown)" >>"$listing"

mkdir -p "$root/etc" "$root/home/nonroot" "$root/var/lib/keyhold" "$root/tmp" "$root/proc" "$root/dev" "$root/sys"
cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:$uid:$uid:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
nonroot:x:$uid:
EOF
# glibc answers host names from /etc/hosts, then DNS; the platform mounts both files at run time.
cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"
chmod 0700 "$root/home/nonroot" "$root/var/lib/keyhold"

# One layer; reproducible: names sorted, times zero, owners numeric. The user's folders are appended owned by it.
tar_options=(--sort=name --mtime=@0 --numeric-owner --format=posix
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
(cd "$root" && tar "${tar_options[@]}" --owner=0 --group=0 \
  --exclude=./home/nonroot --exclude=./var/lib/keyhold -cf "$work/layer.tar" .)
(cd "$root" && tar "${tar_options[@]}" --owner="$uid" --group="$uid" -rf "$work/layer.tar" ./home/nonroot ./var/lib/keyhold)

diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
cat >"$work/config.json" <<EOF
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"User":"$uid:$uid","Env":["PATH=/opt/java/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z",
   "created_by":"deploy/image/java-runtime-base.sh: Java $runtime jlink-ed with $modules, and the libraries it loads"}]}
EOF
cat >"$work/manifest.json" <<'EOF'
[{"Config":"config.json","RepoTags":["keyhold/java-runtime-base:local"],"Layers":["layer.tar"]}]
EOF
tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out.partial" \
  manifest.json config.json layer.tar
mv "$out.partial" "$out"
echo "java-runtime-base: $out ($(du -h "$out" | cut -f1)): Java $runtime with $modules, $(grep -vc '^#' "$listing") libraries"
rm -rf "$work"
