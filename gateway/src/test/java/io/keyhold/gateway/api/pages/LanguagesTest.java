package io.keyhold.gateway.api.pages;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LanguagesTest {

  @Test
  void chineseBrowsersGetSimplifiedChinese() {
    assertThat(Languages.choose(null, "zh-CN,zh;q=0.9,en;q=0.8")).isEqualTo(new Languages.Choice("zh-CN", "header"));
    assertThat(Languages.choose(null, "zh-TW")).isEqualTo(new Languages.Choice("zh-CN", "header"));
    assertThat(Languages.choose(null, "zh")).isEqualTo(new Languages.Choice("zh-CN", "header"));
  }

  @Test
  void otherBrowsersGetEnglish() {
    assertThat(Languages.choose(null, "en-US,en;q=0.9")).isEqualTo(new Languages.Choice("en", "header"));
    assertThat(Languages.choose(null, "fr-FR, zh;q=0.5")).isEqualTo(new Languages.Choice("en", "header"));
    assertThat(Languages.choose(null, "de;q=0.3, zh-CN;q=0.8")).isEqualTo(new Languages.Choice("zh-CN", "header"));
  }

  @Test
  void anExplicitChoiceWinsAndNoHeaderLeavesItToTheBrowser() {
    assertThat(Languages.choose("en", "zh-CN")).isEqualTo(new Languages.Choice("en", "query"));
    assertThat(Languages.choose("zh-CN", "en")).isEqualTo(new Languages.Choice("zh-CN", "query"));
    assertThat(Languages.choose("klingon", null)).isEqualTo(new Languages.Choice("en", "default"));
    assertThat(Languages.choose(null, "*;q=x, ;q=0")).isEqualTo(new Languages.Choice("en", "default"));
  }
}
